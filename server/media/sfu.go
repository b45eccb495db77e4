// Package media forwards each sitting's camera (and later screen and
// microphone) from the agent's WebRTC peer connection to every browser
// watching the sitting — a small selective forwarding unit on pion/webrtc.
//
// One UDP port carries all media (an ICE UDP mux), so a deployment opens one
// port in its firewall, and hundreds of peers cost one socket. Each sitting
// is a room with fixed outgoing tracks; publishers come and go (an agent
// reconnects) without viewers renegotiating, because the rewriter keeps
// each outgoing stream continuous. A new viewer gets a keyframe at once: the
// room sends the publisher a picture loss indication (PLI).
package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"kuzet.kz/kuzet/internal/pionlog"
	"kuzet.kz/kuzet/protocol"
)

// Track names: the agent publishes its tracks with these ids.
const (
	TrackCamera      = "camera"
	TrackCameraThumb = "camera_thumb"
	TrackScreen      = "screen"
	TrackMicrophone  = "microphone"
)

// nackHistory is how many recent packets of each outgoing stream the SFU
// keeps to answer a viewer's NACK (a power of two, as pion requires).
const nackHistory = 256

// nackTries is how many times the SFU asks a publisher for one lost packet.
const nackTries = 2

// Errors of the media package.
var (
	// ErrClosed: the SFU is shutting down.
	ErrClosed = errors.New("media: shutting down")
	// ErrBadSDP: the offer could not be applied.
	ErrBadSDP = errors.New("media: the session description was refused")
)

// Config configures the SFU.
type Config struct {
	// Host is the IP address the media socket binds to.
	Host string
	// Port is the UDP port; 0 picks a free one.
	Port int
	// PublicIPs, if set, are announced instead of Host (1:1 NAT).
	PublicIPs []string
	// Log receives the SFU's and pion's logs.
	Log *slog.Logger
	// OnMedia is called when a sitting's camera starts or stops arriving.
	// It must return quickly.
	OnMedia func(id protocol.SittingID, live bool)
	// Tap, if set, is given every forwarded packet (for recording). It is
	// called on the forwarding goroutine and must not block; the packet is
	// changed after it returns (copy it to keep it).
	Tap func(id protocol.SittingID, track string, p *rtp.Packet)
	// OnPublisherGone is called when a sitting's publisher connection
	// closes (the agent left or was replaced).
	OnPublisherGone func(id protocol.SittingID)
}

// SFU is the media forwarder. Create it with New; Close it once.
type SFU struct {
	cfg  Config
	log  *slog.Logger
	api  *webrtc.API
	conn net.PacketConn
	mux  interface{ Close() error }

	mu     sync.Mutex
	rooms  map[protocol.SittingID]*room
	closed bool
	wg     sync.WaitGroup

	stats statCounters
}

type statCounters struct {
	mu              sync.Mutex
	packetsIn       uint64
	packetsOut      uint64
	keyframeRequest uint64
	renegotiations  uint64
	bytesIn         uint64
	bytesByTrack    map[string]uint64
}

// Stats are the SFU's running totals.
type Stats struct {
	// PacketsIn counts RTP packets received from publishers.
	PacketsIn uint64
	// PacketsOut counts RTP packets written to viewers (one per viewer).
	PacketsOut uint64
	// KeyframeRequests counts PLIs sent to publishers.
	KeyframeRequests uint64
	// Renegotiations counts offers applied to an existing publisher
	// connection (ICE restarts).
	Renegotiations uint64
	// BytesIn counts RTP bytes (headers and payload) received from
	// publishers, in all and by track name.
	BytesIn      uint64
	BytesByTrack map[string]uint64
	// Rooms, Publishers and Viewers count what is open now.
	Rooms, Publishers, Viewers int
}

// New opens the media socket and prepares the WebRTC API.
func New(cfg Config) (*SFU, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ip := net.ParseIP(cfg.Host)
	if ip == nil {
		return nil, fmt.Errorf("media: host %q is not an IP address", cfg.Host)
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip, Port: cfg.Port})
	if err != nil {
		return nil, fmt.Errorf("media: listen on udp %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	enlargeBuffers(conn, cfg.Log)
	logs := pionlog.Factory{Log: cfg.Log}
	mux := webrtc.NewICEUDPMux(logs.NewLogger("udpmux"), conn)

	se := webrtc.SettingEngine{LoggerFactory: logs}
	se.SetICEUDPMux(mux)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	// The server has a routable address and learns each peer's from its
	// connectivity checks (peer-reflexive), so it never needs to resolve a
	// browser's .local candidate; without this every peer connection opened
	// its own multicast DNS socket and reader.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if len(cfg.PublicIPs) > 0 {
		// Behind 1:1 NAT the host candidate carries the public address
		// instead of the bound one.
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			conn.Close()
			return nil, fmt.Errorf("media: public IPs %v: %w", cfg.PublicIPs, err)
		}
	}
	// Find a dead peer in seconds, not the default half minute.
	se.SetICETimeouts(5*time.Second, 10*time.Second, time.Second)

	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("media: codecs: %w", err)
	}
	ir := &interceptor.Registry{}
	// The NACK responder keeps each outgoing stream's recent packets to
	// resend what a viewer lost. pion's default, 1024 packets of 1.5 KB,
	// is 1.5 MB per forwarded video track and was 60 % of the server's heap
	// with 100 sittings watched (BENCHMARKS.md); nackHistory packets is
	// several seconds of a 256 kbit/s stream, far more than a NACK's
	// round trip.
	//
	// pion's NACK generator asks for every missing packet every 100 ms for
	// as long as it stays in the window. After a candidate's Wi-Fi drops
	// out for a second, that is hundreds of resend requests ten times a
	// second, whose answers fill the slow uplink, are lost in turn and are
	// asked for again: the link drowned in resends for many seconds
	// (TestSlowUplinkKeepsTheStreamWorking). Each packet is asked for at
	// most nackTries times; a picture that still cannot be repaired is
	// replaced by the keyframe the viewer requests.
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(me, ir,
		webrtc.WithNackResponderOptions(nack.ResponderSize(nackHistory)),
		webrtc.WithNackGeneratorOptions(nack.GeneratorMaxNacksPerPacket(nackTries))); err != nil {
		conn.Close()
		return nil, fmt.Errorf("media: interceptors: %w", err)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return &SFU{cfg: cfg, log: cfg.Log, api: api, conn: conn, mux: mux, rooms: map[protocol.SittingID]*room{}}, nil
}

// Port is the UDP port media arrives on.
func (s *SFU) Port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

// Stats returns running totals.
func (s *SFU) Stats() Stats {
	s.stats.mu.Lock()
	st := Stats{PacketsIn: s.stats.packetsIn, PacketsOut: s.stats.packetsOut, KeyframeRequests: s.stats.keyframeRequest,
		Renegotiations: s.stats.renegotiations, BytesIn: s.stats.bytesIn, BytesByTrack: map[string]uint64{}}
	for k, v := range s.stats.bytesByTrack {
		st.BytesByTrack[k] = v
	}
	s.stats.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Rooms = len(s.rooms)
	for _, r := range s.rooms {
		r.mu.Lock()
		if r.publisher != nil {
			st.Publishers++
		}
		st.Viewers += len(r.viewers)
		r.mu.Unlock()
	}
	return st
}

// Close closes every peer connection and the media socket, and waits for
// the forwarding goroutines to end.
func (s *SFU) Close() error {
	s.mu.Lock()
	s.closed = true
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		r.closeAll()
	}
	s.wg.Wait()
	err := s.mux.Close()
	if cerr := s.conn.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
		err = cerr
	}
	return err
}

// room is one sitting's tracks, its publisher and its viewers.
type room struct {
	sfu    *SFU
	id     protocol.SittingID
	log    *slog.Logger
	tracks map[string]*outTrack

	mu        sync.Mutex
	publisher *Peer
	viewers   map[protocol.ViewID]*Peer
	videoIn   map[string]webrtc.SSRC // the publisher's video SSRCs by track name
	lastPLI   time.Time
}

type outTrack struct {
	local *webrtc.TrackLocalStaticRTP
	rw    *rewriter
}

func (s *SFU) room(id protocol.SittingID) (*room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if r, ok := s.rooms[id]; ok {
		return r, nil
	}
	r := &room{sfu: s, id: id, log: s.log.With("sitting", id), tracks: map[string]*outTrack{},
		viewers: map[protocol.ViewID]*Peer{}, videoIn: map[string]webrtc.SSRC{}}
	specs := []struct {
		name  string
		codec webrtc.RTPCodecCapability
		gap   uint32
	}{
		{TrackCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 3000},
		{TrackCameraThumb, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 18000},
		{TrackScreen, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 45000},
		{TrackMicrophone, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, 960},
	}
	for _, sp := range specs {
		local, err := webrtc.NewTrackLocalStaticRTP(sp.codec, sp.name, string(id))
		if err != nil {
			return nil, fmt.Errorf("media: track %s: %w", sp.name, err)
		}
		r.tracks[sp.name] = &outTrack{local: local, rw: &rewriter{gapTS: sp.gap}}
	}
	s.rooms[id] = r
	return r, nil
}

// forget drops the room if nobody uses it any more.
func (r *room) forgetIfEmpty() {
	r.mu.Lock()
	empty := r.publisher == nil && len(r.viewers) == 0
	r.mu.Unlock()
	if !empty {
		return
	}
	s := r.sfu
	s.mu.Lock()
	if s.rooms[r.id] == r {
		r.mu.Lock()
		if r.publisher == nil && len(r.viewers) == 0 {
			delete(s.rooms, r.id)
		}
		r.mu.Unlock()
	}
	s.mu.Unlock()
}

func (r *room) closeAll() {
	r.mu.Lock()
	peers := make([]*Peer, 0, len(r.viewers)+1)
	if r.publisher != nil {
		peers = append(peers, r.publisher)
	}
	for _, v := range r.viewers {
		peers = append(peers, v)
	}
	r.mu.Unlock()
	for _, p := range peers {
		p.Close()
	}
}

// requestKeyframe asks the publisher for a keyframe on every video track,
// at most twice a second so a crowd of new viewers is one request.
func (r *room) requestKeyframe() {
	r.mu.Lock()
	pub := r.publisher
	if pub == nil || time.Since(r.lastPLI) < 500*time.Millisecond {
		r.mu.Unlock()
		return
	}
	r.lastPLI = time.Now()
	pkts := make([]rtcp.Packet, 0, len(r.videoIn))
	for _, ssrc := range r.videoIn {
		pkts = append(pkts, &rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)})
	}
	r.mu.Unlock()
	if len(pkts) == 0 {
		return
	}
	if err := pub.pc.WriteRTCP(pkts); err != nil {
		r.log.Debug("keyframe request not sent", "err", err)
		return
	}
	r.sfu.stats.mu.Lock()
	r.sfu.stats.keyframeRequest++
	r.sfu.stats.mu.Unlock()
}

// RequestKeyframe asks the sitting's publisher for a keyframe now (at most
// twice a second).
func (s *SFU) RequestKeyframe(id protocol.SittingID) {
	s.mu.Lock()
	r := s.rooms[id]
	s.mu.Unlock()
	if r != nil {
		r.requestKeyframe()
	}
}

// Peer is one peer connection: an agent publishing or a browser watching.
type Peer struct {
	pc        *webrtc.PeerConnection
	room      *room
	view      protocol.ViewID // empty for the publisher
	closeOnce sync.Once
	// forwarding counts the publisher's forwarding goroutines.
	forwarding sync.WaitGroup
}

// Publish accepts an agent's offer for sitting id, replacing any earlier
// publisher of the sitting, and returns the answer (with every candidate:
// the server's candidates are known at once, so it does not trickle).
func (s *SFU) Publish(id protocol.SittingID, offer string) (*Peer, string, error) {
	r, err := s.room(id)
	if err != nil {
		return nil, "", err
	}
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("media: new peer connection: %w", err)
	}
	p := &Peer{pc: pc, room: r}
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		name := remote.ID()
		if _, ok := r.tracks[name]; !ok {
			name = TrackCamera
			if remote.Kind() == webrtc.RTPCodecTypeAudio {
				name = TrackMicrophone
			}
		}
		if remote.Kind() == webrtc.RTPCodecTypeVideo {
			r.mu.Lock()
			r.videoIn[name] = remote.SSRC()
			r.mu.Unlock()
		}
		s.wg.Add(1)
		p.forwarding.Add(1)
		go func() {
			defer s.wg.Done()
			defer p.forwarding.Done()
			r.forward(p, name, remote)
		}()
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		r.log.Debug("publisher connection", "state", st.String())
		// A failed connection is kept: the agent restarts ICE on it (its
		// signalling session owns it and closes it when the session ends).
		if st == webrtc.PeerConnectionStateClosed {
			go p.Close()
		}
	})

	r.mu.Lock()
	old := r.publisher
	r.publisher = p
	r.mu.Unlock()
	if old != nil {
		old.Close()
	}
	answer, err := p.answer(offer)
	if err != nil {
		p.Close()
		return nil, "", err
	}
	return p, answer, nil
}

// forward copies one published track to the room's outgoing track until
// the publisher's connection ends.
func (r *room) forward(p *Peer, name string, remote *webrtc.TrackRemote) {
	out := r.tracks[name]
	s := r.sfu
	if name == TrackCamera && s.cfg.OnMedia != nil {
		s.cfg.OnMedia(r.id, true)
	}
	// A viewer already watching needs a keyframe to start decoding.
	r.requestKeyframe()
	var n, bytes uint64
	var counted uint64
	flushed := time.Now()
	for {
		pkt, _, err := remote.ReadRTP()
		if err != nil {
			break
		}
		bytes += uint64(pkt.MarshalSize())
		if s.cfg.Tap != nil {
			s.cfg.Tap(r.id, name, pkt)
		}
		out.rw.rewrite(pkt)
		if err := out.local.WriteRTP(pkt); err != nil {
			r.log.Debug("forward", "track", name, "err", err)
		}
		n++
		// Counted in batches, at least once a second so slow tracks
		// (the screen at 1 fps) show up in the statistics too.
		if n-counted >= 64 || time.Since(flushed) > time.Second {
			r.countForwarded(name, n-counted, bytes)
			counted, bytes, flushed = n, 0, time.Now()
		}
	}
	r.countForwarded(name, n-counted, bytes)
	r.mu.Lock()
	current := r.publisher == p
	if current {
		delete(r.videoIn, name)
	}
	r.mu.Unlock()
	if name == TrackCamera && s.cfg.OnMedia != nil && current {
		s.cfg.OnMedia(r.id, false)
	}
}

func (r *room) countForwarded(name string, n, bytes uint64) {
	if n == 0 {
		return
	}
	r.mu.Lock()
	viewers := uint64(len(r.viewers))
	r.mu.Unlock()
	st := &r.sfu.stats
	st.mu.Lock()
	st.packetsIn += n
	st.packetsOut += n * viewers
	st.bytesIn += bytes
	if st.bytesByTrack == nil {
		st.bytesByTrack = map[string]uint64{}
	}
	st.bytesByTrack[name] += bytes
	st.mu.Unlock()
}

// Watch accepts a browser's offer to receive sitting id's media. At the
// full layer the offer's video transceivers get the camera then the screen,
// its audio transceiver the microphone; at the thumb layer its one video
// transceiver gets the small camera and nothing else. The viewer gets a
// keyframe as soon as it connects.
func (s *SFU) Watch(id protocol.SittingID, view protocol.ViewID, offer string, layer protocol.Layer) (*Peer, string, error) {
	r, err := s.room(id)
	if err != nil {
		return nil, "", err
	}
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("media: new peer connection: %w", err)
	}
	p := &Peer{pc: pc, room: r, view: view}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		r.log.Debug("viewer connection", "view", view, "state", st.String())
		switch st {
		case webrtc.PeerConnectionStateConnected:
			go r.requestKeyframe()
		case webrtc.PeerConnectionStateClosed:
			// A failed viewer is kept for the browser's ICE restart; the
			// view channel closes it when the page goes.
			go p.Close()
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		pc.Close()
		return nil, "", fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	videos := []string{TrackCamera, TrackScreen}
	audios := []string{TrackMicrophone}
	if layer == protocol.LayerThumb {
		videos, audios = []string{TrackCameraThumb}, nil
	}
	for _, tr := range pc.GetTransceivers() {
		var name string
		switch {
		case tr.Kind() == webrtc.RTPCodecTypeVideo && len(videos) > 0:
			name, videos = videos[0], videos[1:]
		case tr.Kind() == webrtc.RTPCodecTypeAudio && len(audios) > 0:
			name, audios = audios[0], audios[1:]
		default:
			continue
		}
		sender, err := pc.AddTrack(r.tracks[name].local)
		if err != nil {
			pc.Close()
			return nil, "", fmt.Errorf("media: add %s track: %w", name, err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			r.readViewerRTCP(sender)
		}()
	}
	r.mu.Lock()
	if old, ok := r.viewers[view]; ok {
		r.mu.Unlock()
		old.Close()
		r.mu.Lock()
	}
	r.viewers[view] = p
	r.mu.Unlock()

	answer, err := p.createAnswer()
	if err != nil {
		p.Close()
		return nil, "", err
	}
	return p, answer, nil
}

// readViewerRTCP drains a viewer's RTCP (the interceptors need it read for
// NACK retransmissions) and passes its keyframe requests to the publisher.
func (r *room) readViewerRTCP(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				r.requestKeyframe()
			}
		}
	}
}

func (p *Peer) answer(offer string) (string, error) {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	return p.createAnswer()
}

func (p *Peer) createAnswer() (string, error) {
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("media: set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-time.After(3 * time.Second):
		return "", errors.New("media: gathering candidates took over 3 s")
	}
	return p.pc.LocalDescription().SDP, nil
}

// SameSession reports whether offer comes from this peer connection's
// remote side (same DTLS fingerprint), so it is a renegotiation or an ICE
// restart rather than a new connection.
func (p *Peer) SameSession(offer string) bool {
	rd := p.pc.RemoteDescription()
	if rd == nil {
		return false
	}
	a, b := fingerprint(rd.SDP), fingerprint(offer)
	return a != "" && a == b
}

func fingerprint(sdp string) string {
	for _, line := range strings.Split(sdp, "\n") {
		if strings.HasPrefix(line, "a=fingerprint:") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// Renegotiate applies a new offer from the same publisher (an ICE restart
// after a network change) and returns the answer.
func (p *Peer) Renegotiate(offer string) (string, error) {
	st := &p.room.sfu.stats
	st.mu.Lock()
	st.renegotiations++
	st.mu.Unlock()
	return p.answer(offer)
}

// AddCandidate adds a candidate the remote side trickled. An empty
// candidate (end of candidates) is accepted and ignored.
func (p *Peer) AddCandidate(c protocol.Candidate) error {
	if c.Candidate == "" {
		return nil
	}
	err := p.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid,
		SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment})
	if err != nil {
		return fmt.Errorf("%w: candidate: %v", ErrBadSDP, err)
	}
	return nil
}

// Close closes the peer connection and removes it from its room.
func (p *Peer) Close() {
	p.closeOnce.Do(func() {
		r := p.room
		r.mu.Lock()
		if p.view == "" {
			if r.publisher == p {
				r.publisher = nil
			}
		} else if r.viewers[p.view] == p {
			delete(r.viewers, p.view)
		}
		r.mu.Unlock()
		if err := p.pc.Close(); err != nil {
			r.log.Debug("close peer", "err", err)
		}
		if p.view == "" && r.sfu.cfg.OnPublisherGone != nil {
			// Only once nothing of this publisher can reach the tap.
			p.forwarding.Wait()
			r.sfu.cfg.OnPublisherGone(r.id)
		}
		r.forgetIfEmpty()
	})
}
