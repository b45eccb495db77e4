// Package vp8 encodes the agent's video with libvpx, tuned the way
// real-time video calls tune it: a fast speed setting (an ordinary laptop
// must encode the camera with a fraction of one core), constant bitrate
// with frame dropping so a slow uplink gets fewer frames rather than a
// burst, a cap on keyframe size, and error resilience for lossy networks.
//
// It wraps the few libvpx calls the agent needs directly: the encoder that
// pion/mediadevices ships does not let the speed be set, and at its default
// libvpx spends several times the CPU for a picture no viewer can tell apart
// at these bitrates.
package vp8

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

static vpx_codec_iface_t *kz_vp8(void) { return vpx_codec_vp8_cx(); }

static vpx_codec_err_t kz_init(vpx_codec_ctx_t *ctx, vpx_codec_enc_cfg_t *cfg) {
	return vpx_codec_enc_init(ctx, kz_vp8(), cfg, 0);
}

static vpx_codec_err_t kz_control_int(vpx_codec_ctx_t *ctx, int id, int v) {
	return vpx_codec_control_(ctx, id, v);
}

// kz_encode encodes one I420 frame given by its three planes and copies
// the compressed frames into out (cap bytes); it returns the bytes written,
// or -1 on an encoder error, -2 when out is too small. *key tells whether
// the result is a keyframe.
static int kz_encode(vpx_codec_ctx_t *ctx, vpx_image_t *img,
		unsigned char *y, int ys, unsigned char *u, unsigned char *v, int cs,
		vpx_codec_pts_t pts, unsigned long dur, vpx_enc_frame_flags_t flags,
		unsigned char *out, int cap, int *key) {
	img->planes[VPX_PLANE_Y] = y;
	img->planes[VPX_PLANE_U] = u;
	img->planes[VPX_PLANE_V] = v;
	img->stride[VPX_PLANE_Y] = ys;
	img->stride[VPX_PLANE_U] = cs;
	img->stride[VPX_PLANE_V] = cs;
	if (vpx_codec_encode(ctx, img, pts, dur, flags, VPX_DL_REALTIME) != VPX_CODEC_OK) return -1;
	int n = 0;
	*key = 0;
	vpx_codec_iter_t iter = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(ctx, &iter)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		if (n + (int)pkt->data.frame.sz > cap) return -2;
		memcpy(out + n, pkt->data.frame.buf, pkt->data.frame.sz);
		n += pkt->data.frame.sz;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) *key = 1;
	}
	return n;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"
	"unsafe"
)

// Errors of the encoder.
var (
	// ErrFrame: the frame is not I420 of the encoder's size.
	ErrFrame = errors.New("vp8: frame is not I420 of the encoder's size")
	// ErrClosed: the encoder was closed.
	ErrClosed = errors.New("vp8: encoder closed")
)

// Options configure an encoder.
type Options struct {
	Width, Height int
	// FPS is the nominal frame rate.
	FPS float64
	// BitRate is the target, in bit/s.
	BitRate int
	// KeyframeEvery is the longest gap between keyframes.
	KeyframeEvery time.Duration
	// Speed is libvpx's cpu-used: 0 is slowest and best, 16 fastest. Real
	// time calls use 6 to 8 on laptops. Zero means 8.
	Speed int
}

// Encoder is a VP8 encoder. Its methods are safe for concurrent use.
type Encoder struct {
	mu     sync.Mutex
	ctx    C.vpx_codec_ctx_t
	cfg    C.vpx_codec_enc_cfg_t
	img    *C.vpx_image_t
	w, h   int
	pts    int64
	out    unsafe.Pointer
	outCap int
	closed bool
}

// New opens an encoder.
func New(o Options) (*Encoder, error) {
	if o.Width <= 0 || o.Height <= 0 || o.Width%2 != 0 || o.Height%2 != 0 {
		return nil, fmt.Errorf("vp8: size %d×%d must be positive and even", o.Width, o.Height)
	}
	if o.FPS <= 0 || o.BitRate <= 0 {
		return nil, fmt.Errorf("vp8: frame rate %.2f and bitrate %d must be positive", o.FPS, o.BitRate)
	}
	if o.Speed == 0 {
		o.Speed = 8
	}
	e := &Encoder{w: o.Width, h: o.Height}
	if rc := C.vpx_codec_enc_config_default(C.kz_vp8(), &e.cfg, 0); rc != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("vp8: default config: %s", C.GoString(C.vpx_codec_err_to_string(rc)))
	}
	e.cfg.g_w = C.uint(o.Width)
	e.cfg.g_h = C.uint(o.Height)
	// Timestamps in milliseconds.
	e.cfg.g_timebase.num = 1
	e.cfg.g_timebase.den = 1000
	e.cfg.g_threads = 1
	e.cfg.g_lag_in_frames = 0
	e.cfg.g_error_resilient = C.VPX_ERROR_RESILIENT_DEFAULT
	e.cfg.g_pass = C.VPX_RC_ONE_PASS
	e.cfg.rc_end_usage = C.VPX_CBR
	e.cfg.rc_target_bitrate = C.uint(max(1, o.BitRate/1000))
	e.cfg.rc_min_quantizer = 4
	e.cfg.rc_max_quantizer = 63
	e.cfg.rc_undershoot_pct = 95
	e.cfg.rc_overshoot_pct = 10
	e.cfg.rc_buf_sz = 1000
	e.cfg.rc_buf_initial_sz = 500
	e.cfg.rc_buf_optimal_sz = 600
	// On a starved link first shrink the picture (the decoder follows
	// at the next keyframe); frames are never dropped, so the proctor sees
	// motion at any rate.
	e.cfg.rc_resize_allowed = 1
	e.cfg.rc_resize_down_thresh = 30
	e.cfg.rc_resize_up_thresh = 60
	e.cfg.rc_dropframe_thresh = 0
	e.cfg.kf_mode = C.VPX_KF_AUTO
	e.cfg.kf_min_dist = 0
	e.cfg.kf_max_dist = C.uint(max(1, int(o.KeyframeEvery.Seconds()*o.FPS)))
	if rc := C.kz_init(&e.ctx, &e.cfg); rc != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("vp8: init: %s", C.GoString(C.vpx_codec_err_to_string(rc)))
	}
	for _, c := range []struct {
		id, v C.int
	}{
		{C.VP8E_SET_CPUUSED, C.int(-o.Speed)}, // negative: a fixed speed, not a deadline-driven one
		{C.VP8E_SET_NOISE_SENSITIVITY, 0},
		{C.VP8E_SET_STATIC_THRESHOLD, 1},
		{C.VP8E_SET_MAX_INTRA_BITRATE_PCT, 300},
	} {
		if rc := C.kz_control_int(&e.ctx, c.id, c.v); rc != C.VPX_CODEC_OK {
			C.vpx_codec_destroy(&e.ctx)
			return nil, fmt.Errorf("vp8: control %d: %s", c.id, C.GoString(C.vpx_codec_err_to_string(rc)))
		}
	}
	e.img = C.vpx_img_wrap(nil, C.VPX_IMG_FMT_I420, C.uint(o.Width), C.uint(o.Height), 1, nil)
	if e.img == nil {
		C.vpx_codec_destroy(&e.ctx)
		return nil, errors.New("vp8: image wrap failed")
	}
	// A compressed frame never exceeds the raw one.
	e.outCap = o.Width*o.Height*3/2 + 1024
	e.out = C.malloc(C.size_t(e.outCap))
	return e, nil
}

// Encode compresses one frame that lasts dur; with key the frame is a
// keyframe. It returns nil (and no error) when rate control drops the
// frame.
func (e *Encoder) Encode(img *image.YCbCr, dur time.Duration, key bool) (data []byte, isKey bool, err error) {
	if img == nil || img.SubsampleRatio != image.YCbCrSubsampleRatio420 || img.Rect.Dx() != e.w || img.Rect.Dy() != e.h {
		return nil, false, ErrFrame
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, false, ErrClosed
	}
	// libvpx reads the planes during the call only (cgo's rules allow
	// passing them: byte slices hold no Go pointers).
	y := &img.Y[img.YOffset(img.Rect.Min.X, img.Rect.Min.Y)]
	u := &img.Cb[img.COffset(img.Rect.Min.X, img.Rect.Min.Y)]
	v := &img.Cr[img.COffset(img.Rect.Min.X, img.Rect.Min.Y)]
	var flags C.vpx_enc_frame_flags_t
	if key {
		flags |= C.VPX_EFLAG_FORCE_KF
	}
	ms := max(1, dur.Milliseconds())
	var k C.int
	n := C.kz_encode(&e.ctx, e.img,
		(*C.uchar)(unsafe.Pointer(y)), C.int(img.YStride),
		(*C.uchar)(unsafe.Pointer(u)), (*C.uchar)(unsafe.Pointer(v)), C.int(img.CStride),
		C.vpx_codec_pts_t(e.pts), C.ulong(ms), flags, (*C.uchar)(e.out), C.int(e.outCap), &k)
	e.pts += ms
	switch {
	case n == -2:
		return nil, false, errors.New("vp8: compressed frame larger than the raw one")
	case n < 0:
		return nil, false, fmt.Errorf("vp8: encode: %s", C.GoString(C.vpx_codec_error(&e.ctx)))
	case n == 0:
		return nil, false, nil // dropped by rate control
	}
	return C.GoBytes(e.out, n), k != 0, nil
}

// SetBitRate changes the target bitrate (bit/s) from the next frame on.
func (e *Encoder) SetBitRate(bps int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	e.cfg.rc_target_bitrate = C.uint(max(1, bps/1000))
	if rc := C.vpx_codec_enc_config_set(&e.ctx, &e.cfg); rc != C.VPX_CODEC_OK {
		return fmt.Errorf("vp8: set bitrate: %s", C.GoString(C.vpx_codec_err_to_string(rc)))
	}
	return nil
}

// Size is the frame size the encoder takes.
func (e *Encoder) Size() (int, int) { return e.w, e.h }

// Close releases the encoder.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	C.vpx_codec_destroy(&e.ctx)
	C.vpx_img_free(e.img)
	C.free(e.out)
	return nil
}
