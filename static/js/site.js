// The little JavaScript htmx does not cover. Empty for now: public pages work with JavaScript off,
// and the Content-Security-Policy allows scripts from this site only, never inline.
