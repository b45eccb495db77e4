// Package publish sends the agent's media to the server over WebRTC: the
// camera, encoded to VP8 with libvpx at a bitrate an ordinary uplink
// carries, on a track that survives reconnections — each new peer
// connection (after a network cut) takes the same track, so the encoder
// never restarts. A keyframe request from the server (a new viewer, a
// recorder segment) makes the next frame a keyframe.
package publish

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"kuzet.kz/kuzet/protocol"
)

// Track ids, as the server's media package expects them.
const (
	TrackCamera = "camera"
)

// VideoOptions configure the camera encoder.
type VideoOptions struct {
	Width, Height, FPS int
	// BitRate is the target in bits per second.
	BitRate int
}

// Publisher owns the encoders and tracks.
type Publisher struct {
	api    *webrtc.API
	log    *slog.Logger
	camera *webrtc.TrackLocalStaticSample
	enc    codec.ReadCloser
	fps    int

	keyframe atomic.Bool
	encoded  atomic.Uint64
}

// New builds the camera encoder over src (frames must be I420 *image.YCbCr
// or convertible) and the WebRTC API.
func New(src video.Reader, o VideoOptions, log *slog.Logger) (*Publisher, error) {
	params, err := vpx.NewVP8Params()
	if err != nil {
		return nil, fmt.Errorf("vp8 encoder: %w", err)
	}
	params.BitRate = o.BitRate
	params.KeyFrameInterval = o.FPS * 4
	params.RateControlEndUsage = vpx.RateControlCBR
	params.ErrorResilient = vpx.ErrorResilientDefault
	enc, err := params.BuildVideoEncoder(src, prop.Media{Video: prop.Video{
		Width: o.Width, Height: o.Height, FrameRate: float32(o.FPS), FrameFormat: frame.FormatI420}})
	if err != nil {
		return nil, fmt.Errorf("vp8 encoder: %w", err)
	}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		enc.Close()
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		enc.Close()
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICETimeouts(5*time.Second, 10*time.Second, time.Second)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	cam, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, TrackCamera, "kuzet")
	if err != nil {
		enc.Close()
		return nil, err
	}
	return &Publisher{api: api, log: log, camera: cam, enc: enc, fps: max(o.FPS, 1)}, nil
}

// Encoded is how many frames were encoded.
func (p *Publisher) Encoded() uint64 { return p.encoded.Load() }

// Run encodes frames until ctx ends or the source closes. It runs whether
// or not a peer is connected: frames keep flowing so the camera's health
// (rule 10.6) is watched all the time.
func (p *Publisher) Run(ctx context.Context) error {
	ctl, _ := p.enc.Controller().(codec.KeyFrameController)
	frameDur := time.Second / time.Duration(p.fps)
	for ctx.Err() == nil {
		if ctl != nil && p.keyframe.Swap(false) {
			_ = ctl.ForceKeyFrame()
		}
		data, release, err := p.enc.Read()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("encode camera: %w", err)
		}
		p.encoded.Add(1)
		if len(data) > 0 {
			// With no peer bound the sample goes nowhere; a failing
			// binding is a closing peer, which the session replaces.
			if err := p.camera.WriteSample(media.Sample{Data: data, Duration: frameDur}); err != nil {
				p.log.Debug("write sample", "err", err)
			}
		}
		release()
	}
	return nil
}

// Close releases the encoder.
func (p *Publisher) Close() error { return p.enc.Close() }

// Peer is one peer connection to the server.
type Peer struct {
	pc        *webrtc.PeerConnection
	closeOnce sync.Once
	wg        sync.WaitGroup
	failed    chan struct{}
}

// NewPeer creates a peer connection carrying the publisher's tracks and
// returns it with its offer (all candidates included, so the offer needs no
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
	var failOnce sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		p.log.Debug("media connection", "state", st.String())
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			failOnce.Do(func() { close(peer.failed) })
		}
	})
	sender, err := pc.AddTransceiverFromTrack(p.camera, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		pc.Close()
		return nil, "", fmt.Errorf("add camera track: %w", err)
	}
	peer.wg.Add(1)
	go func() {
		defer peer.wg.Done()
		for {
			pkts, _, err := sender.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, pkt := range pkts {
				switch pkt.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					p.keyframe.Store(true)
				}
			}
		}
	}()
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

// Failed is closed when the connection failed or closed.
func (pe *Peer) Failed() <-chan struct{} { return pe.failed }

// Connected reports whether media flows.
func (pe *Peer) Connected() bool {
	return pe.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}

// Close closes the peer connection and waits for its RTCP reader.
func (pe *Peer) Close() {
	pe.closeOnce.Do(func() {
		_ = pe.pc.Close()
		pe.wg.Wait()
	})
}
