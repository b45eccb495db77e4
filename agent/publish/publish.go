// Package publish sends the agent's media to the server over WebRTC: the
// camera (VP8, libvpx), a small copy of it for the proctor's grid, the
// screen (VP8 at a frame or two a second) and the microphone (Opus). The
// tracks survive reconnections — each new peer connection (after a network
// cut) takes the same tracks, so the encoders never restart.
//
// The upload fits a slow link: a send-side bandwidth estimator (Google
// congestion control over transport-wide feedback) measures what the path
// carries, and the budget is shared among the encoders so the camera gives
// way first and the stream keeps working at lower quality. A keyframe
// request from the server (a new viewer, a recording segment) makes the
// next frame of that track a keyframe.
package publish

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"kuzet.kz/kuzet/agent/vp8"
	"kuzet.kz/kuzet/internal/pionlog"
	"kuzet.kz/kuzet/protocol"
)

// Track ids, as the server's media package expects them.
const (
	TrackCamera      = "camera"
	TrackCameraThumb = "camera_thumb"
	TrackScreen      = "screen"
	TrackMicrophone  = "microphone"
)

// Video is one video input to encode.
type Video struct {
	// Source delivers I420 frames (*image.YCbCr) at FPS.
	Source        video.Reader
	Width, Height int
	FPS           float64
	// KeyframeEvery is the longest gap between keyframes.
	KeyframeEvery time.Duration
}

// Audio is the microphone input: 48 kHz mono chunks.
type Audio struct {
	Source audio.Reader
}

// Options say what to publish and within what budget.
type Options struct {
	Camera Video
	// Thumb is the small camera for the grid; optional.
	Thumb *Video
	// Screen is the desktop; optional.
	Screen *Video
	// Mic is the microphone; optional.
	Mic *Audio
	// MaxBitRate caps the whole upload in bit/s (default 256000); the
	// estimator never asks for more, and starts a little below.
	MaxBitRate int
	// MinBitRate is the floor the estimator may fall to (default 80000).
	MinBitRate int
	// Conn, if set, carries all media (tests and --uplink-kbps use it to
	// put a slow link under the agent); nil uses ordinary UDP sockets.
	Conn net.PacketConn
	Log  *slog.Logger
}

// track is one encoder feeding one WebRTC track: video through the vp8
// package, audio through mediadevices' Opus encoder.
type track struct {
	name     string
	local    *webrtc.TrackLocalStaticSample
	video    *vp8.Encoder
	src      video.Reader // the video's frames
	enc      codec.ReadCloser
	frameDur time.Duration
	keyframe atomic.Bool
	bitrate  atomic.Int64 // the share it was last given
	// lastKey is when the last keyframe was forced (unix nanoseconds).
	lastKey atomic.Int64
}

// minKeyGap is the least time between forced keyframes. A keyframe is
// many times a normal frame; on a slow link one that does not get through
// whole brings a new request, and answering each at once would fill the
// link with keyframes that never arrive.
const minKeyGap = 2 * time.Second

// wantKeyframe reports whether a pending keyframe request may be served
// now.
func (t *track) wantKeyframe(now time.Time) bool {
	if !t.keyframe.Load() || now.UnixNano()-t.lastKey.Load() < int64(minKeyGap) {
		return false
	}
	t.keyframe.Store(false)
	t.lastKey.Store(now.UnixNano())
	return true
}

// Publisher owns the encoders and tracks.
type Publisher struct {
	api    *webrtc.API
	log    *slog.Logger
	tracks []*track
	max    int

	estimator atomic.Pointer[gcc.SendSideBWE]
	encoded   atomic.Uint64
}

// New builds the encoders and the WebRTC API.
func New(o Options) (*Publisher, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxBitRate == 0 {
		o.MaxBitRate = 256_000
	}
	if o.MinBitRate == 0 {
		o.MinBitRate = 80_000
	}
	p := &Publisher{log: o.Log, max: o.MaxBitRate}
	shares := allocate(o.MaxBitRate*7/8, o.Thumb != nil, o.Screen != nil, o.Mic != nil)
	fail := func(err error) (*Publisher, error) {
		p.Close()
		return nil, err
	}
	if err := p.addVideo(TrackCamera, o.Camera, shares.camera); err != nil {
		return fail(err)
	}
	if o.Thumb != nil {
		if err := p.addVideo(TrackCameraThumb, *o.Thumb, shares.thumb); err != nil {
			return fail(err)
		}
	}
	if o.Screen != nil {
		if err := p.addVideo(TrackScreen, *o.Screen, shares.screen); err != nil {
			return fail(err)
		}
	}
	if o.Mic != nil {
		if err := p.addAudio(*o.Mic, shares.mic); err != nil {
			return fail(err)
		}
	}

	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return fail(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return fail(err)
	}
	// Send-side bandwidth estimation: the server's transport-wide feedback
	// tells how the packets fared; GCC turns that into a target bitrate.
	logs := pionlog.Factory{Log: o.Log}
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(o.MaxBitRate*7/8),
			gcc.SendSideBWEMinBitrate(o.MinBitRate), gcc.SendSideBWEMaxBitrate(o.MaxBitRate),
			gcc.WithLoggerFactory(logs))
	})
	if err != nil {
		return fail(err)
	}
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) {
		if g, ok := e.(*gcc.SendSideBWE); ok {
			p.estimator.Store(g)
		}
	})
	ir.Add(ccf)
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, ir); err != nil {
		return fail(err)
	}
	se := webrtc.SettingEngine{LoggerFactory: logs}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICETimeouts(5*time.Second, 10*time.Second, time.Second)
	if o.Conn != nil {
		se.SetICEUDPMux(webrtc.NewICEUDPMux(logs.NewLogger("udpmux"), o.Conn))
	}
	p.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return p, nil
}

func (p *Publisher) addVideo(name string, v Video, bitrate int) error {
	enc, err := vp8.New(vp8.Options{Width: v.Width &^ 1, Height: v.Height &^ 1, FPS: v.FPS, BitRate: bitrate, KeyframeEvery: v.KeyframeEvery})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	local, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, name, "kuzet")
	if err != nil {
		enc.Close()
		return err
	}
	t := &track{name: name, local: local, video: enc, src: video.ToI420(v.Source), frameDur: time.Duration(float64(time.Second) / v.FPS)}
	t.bitrate.Store(int64(bitrate))
	p.tracks = append(p.tracks, t)
	return nil
}

func (p *Publisher) addAudio(a Audio, bitrate int) error {
	params, err := opus.NewParams()
	if err != nil {
		return err
	}
	params.BitRate = bitrate
	// 40 ms frames: half the packets of 20 ms, whose headers would cost
	// as much as the speech itself on a 256 kbit/s uplink.
	params.Latency = opus.Latency40ms
	enc, err := params.BuildAudioEncoder(a.Source, prop.Media{Audio: prop.Audio{SampleRate: 48000, ChannelCount: 1}})
	if err != nil {
		return fmt.Errorf("opus encoder: %w", err)
	}
	local, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, TrackMicrophone, "kuzet")
	if err != nil {
		enc.Close()
		return err
	}
	t := &track{name: TrackMicrophone, local: local, enc: enc, frameDur: 40 * time.Millisecond}
	t.bitrate.Store(int64(bitrate))
	p.tracks = append(p.tracks, t)
	return nil
}

// shares is how a budget is split among the tracks.
type shares struct{ camera, thumb, screen, mic int }

// allocate splits a budget (bit/s of media payload). The microphone and
// the screen keep small fixed shares that shrink on a poor link; the grid's
// thumbnail is tiny; the camera takes the rest, down to a floor that still
// shows a face.
func allocate(budget int, thumb, screen, mic bool) shares {
	var s shares
	low := budget < 160_000
	if mic {
		s.mic = 16_000
		if low {
			s.mic = 12_000
		}
	}
	if screen {
		s.screen = 32_000
		if low {
			s.screen = 16_000
		}
	}
	if thumb {
		s.thumb = 16_000
		if low {
			s.thumb = 10_000
		}
	}
	s.camera = max(budget-s.mic-s.screen-s.thumb, 40_000)
	return s
}

// Encoded is how many frames (all tracks) were encoded.
func (p *Publisher) Encoded() uint64 { return p.encoded.Load() }

// Target is the estimator's current target bitrate, or 0 before a peer.
func (p *Publisher) Target() int {
	if e := p.estimator.Load(); e != nil {
		return e.GetTargetBitrate()
	}
	return 0
}

// Run encodes every track until ctx ends, and shares the estimated
// bandwidth among them. Tracks run whether or not a peer is connected:
// frames keep flowing so the camera's health (rule 10.6) is watched all the
// time.
func (p *Publisher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(p.tracks))
	for _, t := range p.tracks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.encodeLoop(ctx, t); err != nil {
				errs <- err
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.adaptLoop(ctx)
	}()
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(ch <-chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}

func (p *Publisher) encodeLoop(ctx context.Context, t *track) error {
	if t.video != nil {
		return p.videoLoop(ctx, t)
	}
	kf, _ := t.enc.Controller().(codec.KeyFrameController)
	for ctx.Err() == nil {
		if kf != nil && t.keyframe.Swap(false) {
			_ = kf.ForceKeyFrame()
		}
		data, release, err := t.enc.Read()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("encode %s: %w", t.name, err)
		}
		p.encoded.Add(1)
		if len(data) > 0 {
			// With no peer bound the sample goes nowhere; a failing
			// binding is a closing peer, which the session replaces.
			if err := t.local.WriteSample(media.Sample{Data: data, Duration: t.frameDur}); err != nil {
				p.log.Debug("write sample", "track", t.name, "err", err)
			}
		}
		release()
	}
	return nil
}

// videoLoop encodes a video track's frames. A frame of another size (a
// camera reopened at a different resolution) gets a new encoder.
func (p *Publisher) videoLoop(ctx context.Context, t *track) error {
	last := time.Now()
	for ctx.Err() == nil {
		img, release, err := t.src.Read()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read %s: %w", t.name, err)
		}
		now := time.Now()
		dur := now.Sub(last)
		last = now
		frame, ok := img.(*image.YCbCr)
		if !ok {
			release()
			continue
		}
		if w, h := t.video.Size(); frame.Rect.Dx() != w || frame.Rect.Dy() != h {
			enc, err := vp8.New(vp8.Options{Width: frame.Rect.Dx() &^ 1, Height: frame.Rect.Dy() &^ 1, FPS: float64(time.Second) / float64(t.frameDur),
				BitRate: int(t.bitrate.Load()), KeyframeEvery: 4 * time.Second})
			if err != nil {
				release()
				return fmt.Errorf("%s: new size: %w", t.name, err)
			}
			t.video.Close()
			t.video = enc
			if frame.Rect.Dx()%2 != 0 || frame.Rect.Dy()%2 != 0 {
				frame = frame.SubImage(image.Rect(frame.Rect.Min.X, frame.Rect.Min.Y, frame.Rect.Min.X+frame.Rect.Dx()&^1, frame.Rect.Min.Y+frame.Rect.Dy()&^1)).(*image.YCbCr)
			}
		}
		data, _, err := t.video.Encode(frame, dur, t.wantKeyframe(now))
		release()
		if err != nil {
			return fmt.Errorf("encode %s: %w", t.name, err)
		}
		p.encoded.Add(1)
		if len(data) == 0 {
			continue // dropped by rate control
		}
		if err := t.local.WriteSample(media.Sample{Data: data, Duration: dur}); err != nil {
			p.log.Debug("write sample", "track", t.name, "err", err)
		}
	}
	return nil
}

// adaptLoop follows the bandwidth estimate twice a second.
func (p *Publisher) adaptLoop(ctx context.Context) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		target := p.Target()
		if target == 0 {
			continue
		}
		// Leave an eighth for packet headers and retransmissions.
		s := allocate(min(target, p.max)*7/8, p.has(TrackCameraThumb), p.has(TrackScreen), p.has(TrackMicrophone))
		for _, t := range p.tracks {
			want := map[string]int{TrackCamera: s.camera, TrackCameraThumb: s.thumb, TrackScreen: s.screen, TrackMicrophone: s.mic}[t.name]
			if int64(want) == t.bitrate.Load() {
				continue
			}
			if t.video != nil {
				if err := t.video.SetBitRate(want); err == nil {
					t.bitrate.Store(int64(want))
				}
				continue
			}
			if br, ok := t.enc.Controller().(codec.BitRateController); ok {
				if err := br.SetBitRate(want); err == nil {
					t.bitrate.Store(int64(want))
				}
			}
		}
	}
}

func (p *Publisher) has(name string) bool {
	for _, t := range p.tracks {
		if t.name == name {
			return true
		}
	}
	return false
}

// Shares returns each track's current bitrate share, for tests and logs.
func (p *Publisher) Shares() map[string]int {
	out := map[string]int{}
	for _, t := range p.tracks {
		out[t.name] = int(t.bitrate.Load())
	}
	return out
}

// Close releases the encoders.
func (p *Publisher) Close() error {
	var errs []error
	for _, t := range p.tracks {
		if t.video != nil {
			errs = append(errs, t.video.Close())
		} else {
			errs = append(errs, t.enc.Close())
		}
	}
	return errors.Join(errs...)
}

// Peer is one peer connection to the server.
type Peer struct {
	pc        *webrtc.PeerConnection
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu     sync.Mutex
	failed chan struct{} // closed on failure of the current ICE attempt
	fired  bool
	closed bool
}

// fail signals the current attempt's failure, once.
func (pe *Peer) fail(permanent bool) {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if permanent {
		pe.closed = true
	}
	if !pe.fired {
		pe.fired = true
		close(pe.failed)
	}
}

// NewPeer creates a peer connection carrying every track and returns it
// with its offer (all candidates included, so the offer needs no
// trickling).
func (p *Publisher) NewPeer(ice []protocol.ICEServer) (*Peer, string, error) {
	cfg := webrtc.Configuration{}
	for _, s := range ice {
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	pc, err := p.api.NewPeerConnection(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("new peer connection: %w", err)
	}
	peer := &Peer{pc: pc, failed: make(chan struct{})}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		p.log.Debug("media connection", "state", st.String())
		switch st {
		case webrtc.PeerConnectionStateFailed:
			peer.fail(false)
		case webrtc.PeerConnectionStateClosed:
			peer.fail(true)
		}
	})
	for _, t := range p.tracks {
		tr, err := pc.AddTransceiverFromTrack(t.local, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			peer.Close()
			return nil, "", fmt.Errorf("add %s track: %w", t.name, err)
		}
		peer.wg.Add(1)
		go func() {
			defer peer.wg.Done()
			for {
				pkts, _, err := tr.Sender().ReadRTCP()
				if err != nil {
					return
				}
				for _, pkt := range pkts {
					switch pkt.(type) {
					case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
						t.keyframe.Store(true)
					}
				}
			}
		}()
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		peer.Close()
		return nil, "", fmt.Errorf("create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		peer.Close()
		return nil, "", fmt.Errorf("set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
		// Go on with what was gathered; more would only be srflx/relay.
	}
	return peer, pc.LocalDescription().SDP, nil
}

// SetAnswer applies the server's answer.
func (pe *Peer) SetAnswer(sdp string) error {
	if err := pe.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("set answer: %w", err)
	}
	return nil
}

// AddCandidate adds a candidate the server trickled.
func (pe *Peer) AddCandidate(c protocol.Candidate) error {
	if c.Candidate == "" {
		return nil
	}
	return pe.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid,
		SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment})
}

// Failed is closed when the connection failed (since the last Restart)
// or closed.
func (pe *Peer) Failed() <-chan struct{} {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	return pe.failed
}

// Restart makes an ICE-restart offer on the same connection: new ICE
// credentials, the same tracks and DTLS session.
func (pe *Peer) Restart() (string, error) {
	pe.mu.Lock()
	if pe.closed {
		pe.mu.Unlock()
		return "", errors.New("the connection is closed")
	}
	pe.failed, pe.fired = make(chan struct{}), false
	pe.mu.Unlock()
	offer, err := pe.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return "", fmt.Errorf("ice restart offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pe.pc)
	if err := pe.pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("ice restart: %w", err)
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	return pe.pc.LocalDescription().SDP, nil
}

// Connected reports whether media flows.
func (pe *Peer) Connected() bool {
	return pe.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}

// Close closes the peer connection and waits for its RTCP readers.
func (pe *Peer) Close() {
	pe.closeOnce.Do(func() {
		_ = pe.pc.Close()
		pe.wg.Wait()
	})
}
