//go:build linux && cgo

package mic

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

static void kuzet_alsa_silent(const char *file, int line, const char *function, int err, const char *fmt, ...) {}

// kuzet_quiet_alsa installs a silent error handler in libasound, if it is
// on this machine, before miniaudio loads the same library: otherwise
// ALSA prints a page of "cannot find card" lines when a machine has no
// sound card, which says nothing the agent does not report itself.
static void kuzet_quiet_alsa(void) {
	void *h = dlopen("libasound.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (h == NULL) return;
	int (*set)(void *) = (int (*)(void *))dlsym(h, "snd_lib_error_set_handler");
	if (set != NULL) set((void *)kuzet_alsa_silent);
}
*/
import "C"

import "sync"

var quietOnce sync.Once

func quietALSA() { quietOnce.Do(func() { C.kuzet_quiet_alsa() }) }
