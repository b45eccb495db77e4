// Package kit holds what Kuzet's end-to-end tests and load program use to
// act as people and programs do: a proctor logging in and watching over
// the real view channel, and a real pion peer that receives a sitting's
// video and decodes its keyframes. It imports protocol and pion, never the
// server's or the agent's packages, so it can only reach them the way a
// browser or an agent does: over HTTP, WebSocket and WebRTC.
package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/interceptor"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
	"golang.org/x/image/vp8"

	"kuzet.kz/kuzet/protocol"
)

// Client is a logged-in staff member's HTTP client.
type Client struct {
	Base *url.URL
	HTTP *http.Client
}

// Login logs in at base with a username and password.
func Login(base, user, pass string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	c := &Client{Base: u, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var me struct{ Role string }
	if err := c.Post("/api/login", map[string]string{"username": user, "password": pass}, &me); err != nil {
		return nil, fmt.Errorf("login as %s: %w", user, err)
	}
	return c, nil
}

// Post sends a JSON body and decodes a JSON answer; a non-2xx answer is an
// error carrying the server's message.
func (c *Client) Post(path string, body, out any) error {
	return c.Do(http.MethodPost, path, body, out)
}

// Do sends a JSON request with method.
func (c *Client) Do(method, path string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, c.Base.JoinPath(path).String(), bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s: %s", path, resp.Status, strings.TrimSpace(buf.String()))
	}
	if out != nil {
		return json.Unmarshal(buf.Bytes(), out)
	}
	return nil
}

// Viewer is a proctor's view channel.
type Viewer struct {
	ws    *websocket.Conn
	codec *protocol.Codec
	wmu   sync.Mutex
	// Msgs delivers everything but watch answers, in order.
	Msgs    chan protocol.Message
	mu      sync.Mutex
	answers map[protocol.ViewID]chan string
	done    chan struct{}
	// Err is why the channel ended, once Msgs is closed.
	Err error
}

// DialViewer opens the view channel with the client's login.
func (c *Client) DialViewer(ctx context.Context) (*Viewer, error) {
	u := *c.Base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/v1/view"
	hdr := http.Header{}
	for _, ck := range c.HTTP.Jar.Cookies(c.Base) {
		hdr.Add("Cookie", ck.String())
	}
	ws, resp, err := websocket.DefaultDialer.DialContext(ctx, u.String(), hdr)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial view channel: %w", err)
	}
	v := &Viewer{ws: ws, codec: protocol.NewCodec(protocol.ServerToViewer, protocol.ViewerToServer),
		Msgs: make(chan protocol.Message, 4096), answers: map[protocol.ViewID]chan string{}, done: make(chan struct{})}
	go v.read()
	return v, nil
}

func (v *Viewer) read() {
	defer close(v.done)
	defer close(v.Msgs)
	for {
		_, data, err := v.ws.ReadMessage()
		if err != nil {
			v.Err = err
			return
		}
		m, err := v.codec.Decode(data)
		if err != nil {
			v.Err = err
			return
		}
		if w, ok := m.(*protocol.Watching); ok {
			v.mu.Lock()
			ch := v.answers[w.View]
			v.mu.Unlock()
			if ch != nil {
				ch <- w.SDP
			}
			continue
		}
		v.Msgs <- m
	}
}

// Done is closed when the channel has ended (see Err).
func (v *Viewer) Done() <-chan struct{} { return v.done }

// Send sends a message on the channel.
func (v *Viewer) Send(m protocol.Message) error {
	frame, err := v.codec.Encode(m)
	if err != nil {
		return err
	}
	v.wmu.Lock()
	defer v.wmu.Unlock()
	return v.ws.WriteMessage(websocket.TextMessage, frame)
}

// Close closes the channel.
func (v *Viewer) Close() {
	v.wmu.Lock()
	_ = v.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	v.wmu.Unlock()
	select {
	case <-v.done:
	case <-time.After(2 * time.Second):
	}
	v.ws.Close()
}

// Next waits for the next message that match accepts.
func (v *Viewer) Next(ctx context.Context, match func(protocol.Message) bool) (protocol.Message, error) {
	for {
		select {
		case m, ok := <-v.Msgs:
			if !ok {
				return nil, fmt.Errorf("view channel closed: %v", v.Err)
			}
			if match == nil || match(m) {
				return m, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Subscriber is a pion peer receiving a sitting's camera.
type Subscriber struct {
	pc *webrtc.PeerConnection
	// Frames counts complete VP8 frames received; Keyframes those that
	// were keyframes and decoded to an image of the right size.
	Frames, Keyframes atomic.Int64
	// Packets and Lost count RTP packets received and sequence gaps.
	Packets, Lost atomic.Int64
	// Size is the last decoded keyframe's size.
	mu     sync.Mutex
	w, h   int
	tracks map[string]*TrackStats
	// DecodeErr is the last keyframe decoding error.
	decodeErr error
	wg        sync.WaitGroup
}

// Size returns the width and height of the last decoded keyframe.
func (s *Subscriber) Size() (int, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w, s.h, s.decodeErr
}

// Watch opens a receiving peer connection for sitting's camera on the view
// channel. With decode false it only counts packets (the load program).
func (v *Viewer) Watch(ctx context.Context, sitting protocol.SittingID, view protocol.ViewID, decode bool) (*Subscriber, error) {
	return v.watch(ctx, sitting, view, decode, protocol.LayerFull, []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo})
}

// WatchAll receives the full layer: camera and screen (decoded) and the
// microphone, as the proctor's focus view does.
func (v *Viewer) WatchAll(ctx context.Context, sitting protocol.SittingID, view protocol.ViewID) (*Subscriber, error) {
	return v.watch(ctx, sitting, view, true, protocol.LayerFull,
		[]webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio})
}

// WatchThumb receives the grid's small camera.
func (v *Viewer) WatchThumb(ctx context.Context, sitting protocol.SittingID, view protocol.ViewID) (*Subscriber, error) {
	return v.watch(ctx, sitting, view, true, protocol.LayerThumb, []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo})
}

func (v *Viewer) watch(ctx context.Context, sitting protocol.SittingID, view protocol.ViewID, decode bool, layer protocol.Layer, kinds []webrtc.RTPCodecType) (*Subscriber, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	s := &Subscriber{pc: pc, tracks: map[string]*TrackStats{}}
	for _, k := range kinds {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			pc.Close()
			return nil, err
		}
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		st := &TrackStats{}
		s.mu.Lock()
		s.tracks[t.ID()] = st
		// The camera (full or thumb) is the primary track, whichever
		// track's OnTrack fires first.
		first := t.ID() == "camera" || t.ID() == "camera_thumb"
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if t.Kind() == webrtc.RTPCodecTypeAudio {
				s.consumeAudio(t, st)
				return
			}
			s.consume(t, decode, first, st)
		}()
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		pc.Close()
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		pc.Close()
		return nil, err
	}
	<-gathered
	ch := make(chan string, 1)
	v.mu.Lock()
	v.answers[view] = ch
	v.mu.Unlock()
	if err := v.Send(&protocol.Watch{View: view, Sitting: sitting, SDP: pc.LocalDescription().SDP, Layer: layer}); err != nil {
		pc.Close()
		return nil, err
	}
	select {
	case sdp := <-ch:
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
			pc.Close()
			return nil, err
		}
	case <-ctx.Done():
		pc.Close()
		return nil, fmt.Errorf("no answer to watch: %w", ctx.Err())
	case <-v.done:
		pc.Close()
		return nil, fmt.Errorf("view channel closed: %v", v.Err)
	}
	return s, nil
}

// TrackStats counts what arrived on one track.
type TrackStats struct {
	// Packets counts unique RTP packets; Bytes their payload.
	Packets, Bytes atomic.Int64
	// Frames counts complete frames (video) or Opus packets (audio).
	Frames atomic.Int64
}

// Track returns the counters of the track with that id ("camera",
// "screen", "microphone", "camera_thumb"), or nil if it never arrived.
func (s *Subscriber) Track(id string) *TrackStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tracks[id]
}

func (s *Subscriber) consumeAudio(t *webrtc.TrackRemote, st *TrackStats) {
	var seq seqCounter
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if seq.add(pkt.SequenceNumber) {
			st.Packets.Add(1)
			st.Bytes.Add(int64(len(pkt.Payload)))
			if len(pkt.Payload) > 0 {
				st.Frames.Add(1)
			}
		}
	}
}

// consume reads one video track. The primary track (the camera) feeds the Subscriber's own counters; with decode its keyframes
// are decoded. Every track counts its packets and frames.
func (s *Subscriber) consume(t *webrtc.TrackRemote, decode, primary bool, st *TrackStats) {
	sb := samplebuilder.New(64, &codecs.VP8Packet{}, 90000)
	var seq seqCounter
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if seq.add(pkt.SequenceNumber) {
			st.Packets.Add(1)
			st.Bytes.Add(int64(len(pkt.Payload)))
			if primary {
				s.Packets.Add(1)
			}
		}
		if primary {
			s.Lost.Store(seq.lost())
		}
		if !decode {
			continue
		}
		sb.Push(pkt)
		for smp := sb.Pop(); smp != nil; smp = sb.Pop() {
			st.Frames.Add(1)
			if !primary {
				continue
			}
			s.Frames.Add(1)
			if len(smp.Data) > 0 && smp.Data[0]&1 == 0 {
				s.decodeKeyframe(smp.Data)
			}
		}
	}
}

// seqCounter counts unique RTP packets and, as RFC 3550 does, those lost:
// expected (from the first to the highest sequence number seen) minus
// received. A packet retransmitted after a NACK counts as received, once.
type seqCounter struct {
	started  bool
	base     int64 // extended number of the first packet
	highest  int64
	received int64
	seen     [1024]int64 // extended number last seen in each slot, +1
}

func (c *seqCounter) add(sn uint16) bool {
	var ext int64
	if !c.started {
		c.started = true
		ext = int64(sn)
		c.base, c.highest = ext, ext
	} else {
		// Place sn in the 64k window nearest the highest so far.
		cycle := c.highest &^ 0xffff
		ext = cycle | int64(sn)
		if ext-c.highest > 0x8000 {
			ext -= 0x10000
		} else if c.highest-ext > 0x8000 {
			ext += 0x10000
		}
		if ext < c.base {
			return false
		}
		if ext > c.highest {
			c.highest = ext
		}
	}
	slot := &c.seen[ext%int64(len(c.seen))]
	if *slot == ext+1 {
		return false // a duplicate
	}
	*slot = ext + 1
	c.received++
	return true
}

func (c *seqCounter) lost() int64 {
	if !c.started {
		return 0
	}
	return max(0, c.highest-c.base+1-c.received)
}

// decodeKeyframe decodes a VP8 keyframe with golang.org/x/image/vp8, which
// proves the bytes are a real picture and not just packets.
func (s *Subscriber) decodeKeyframe(frame []byte) {
	d := vp8.NewDecoder()
	d.Init(bytes.NewReader(frame), len(frame))
	fh, err := d.DecodeFrameHeader()
	if err == nil && !fh.KeyFrame {
		return
	}
	var w, h int
	if err == nil {
		img, derr := d.DecodeFrame()
		err = derr
		if derr == nil {
			w, h = img.Bounds().Dx(), img.Bounds().Dy()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decodeErr = err
	if err == nil {
		s.w, s.h = w, h
		s.Keyframes.Add(1)
	}
}

// Close closes the peer connection.
func (s *Subscriber) Close() {
	_ = s.pc.Close()
	s.wg.Wait()
}

// WaitFor polls cond every 50 ms until it holds or ctx ends.
func WaitFor(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
