//go:build linux && (dev || production) && !bindings

package main

/*
#cgo !webkit2_41 pkg-config: webkit2gtk-4.0
#cgo webkit2_41 pkg-config: webkit2gtk-4.1
#include <webkit2/webkit2.h>

// The app is one page that never navigates: no back/forward cache and the
// smallest memory cache (WebKit's "document viewer" model). Run on GTK's main
// loop, once Wails has created the web context: setting it before wails.Run,
// from another thread, touched GTK before Wails initialised it.
static gboolean deskclerk_tune(gpointer data) {
	webkit_web_context_set_cache_model(webkit_web_context_get_default(), WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
	return G_SOURCE_REMOVE;
}

static void deskclerk_tune_webkit(void) { g_idle_add(deskclerk_tune, NULL); }
*/
import "C"

// tuneWebKit queues the web context's memory settings on GTK's main loop.
func tuneWebKit() { C.deskclerk_tune_webkit() }
