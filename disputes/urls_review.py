"""URLs of the review side: the two queues and the page a reviewer decides on."""

from django.urls import path

from .views import review

app_name = "review"

urlpatterns = [
    path("", review.review_queue, name="queue"),
    path("recheck/", review.recheck_queue, name="recheck"),
    path("<int:pk>/", review.review_page, name="dispute"),
    path("<int:pk>/decide/", review.decide, name="decide"),
    path("<int:pk>/withdraw/", review.follow_up, {"action": "withdraw"}, name="withdraw"),
    path("<int:pk>/reconfirm/", review.follow_up, {"action": "reconfirm"}, name="reconfirm"),
    path("<int:pk>/send-back/", review.follow_up, {"action": "send-back"}, name="send-back"),
]
