// Command kuzet-load measures the server's media forwarding under load: it
// starts a real kuzet-server, creates N sittings through the admin API,
// connects N synthetic publishers that send pre-encoded VP8 at about
// 256 kbit/s over the real agent channel (so the generator spends nothing on
// encoding), has one proctor watch every sitting, and reports the server
// process's CPU time per stream-second, packets forwarded per CPU-second and
// packet loss seen by the viewers.
//
//	go run ./e2e/cmd/kuzet-load -n 10,50,100,200 -duration 30s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"kuzet.kz/kuzet/agent/vp8"
	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
)

func main() {
	ns := flag.String("n", "10", "comma-separated numbers of concurrent streams to measure")
	dur := flag.Duration("duration", 30*time.Second, "measurement window per N (after a warm-up)")
	warm := flag.Duration("warmup", 8*time.Second, "warm-up before measuring")
	serverBin := flag.String("server", "bin/kuzet-server", "kuzet-server binary")
	bitrate := flag.Int("bitrate", 256_000, "VP8 bitrate of each stream, bit/s")
	soak := flag.Duration("soak", 0, "instead of measuring forwarding: run N agents this long, each also sending a rule event every -event-every, and check nothing was lost and nothing grew")
	every := flag.Duration("event-every", 5*time.Second, "soak: how often each agent sends an event")
	profile := flag.String("profile", "", "write a CPU profile of the server during each window to FILE-N.prof, and its heap at the end to FILE-N.heap; in a soak, its heap every minute to FILE-soak-M.heap")
	flag.Parse()
	profilePrefix = *profile
	// libvpx's real-time rate control lands far from its target on this
	// synthetic content; adjust the target until the stream is within 10 %.
	var frames [][]byte
	target := *bitrate
	for try := 0; try < 5; try++ {
		f, err := preEncode(target, 15, 8*time.Second)
		if err != nil {
			fail("pre-encode: %v", err)
		}
		frames = f
		got := kbps(frames, 15) * 1000
		if got > 0.9*float64(*bitrate) && got < 1.1*float64(*bitrate) {
			break
		}
		target = int(float64(target) * float64(*bitrate) / got)
	}
	fmt.Printf("pre-encoded %d VP8 frames, %.0f kbit/s at 15 fps\n", len(frames), kbps(frames, 15))
	if *soak > 0 {
		n, err := strconv.Atoi(*ns)
		if err != nil || n < 1 {
			fail("-n %q: the soak takes one number", *ns)
		}
		if err := measure(*serverBin, n, frames, *warm, *soak, &soakOptions{every: *every}); err != nil {
			fail("soak: %v", err)
		}
		return
	}
	fmt.Println("| streams | window | server CPU | CPU per stream-second | packets forwarded/s | packets per CPU-second | loss | load generator CPU |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail("-n %q: want numbers like 10,50,100", s)
		}
		if err := measure(*serverBin, n, frames, *warm, *dur, nil); err != nil {
			fail("N=%d: %v", n, err)
		}
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kuzet-load: "+format+"\n", args...)
	os.Exit(1)
}

func kbps(frames [][]byte, fps int) float64 {
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	return float64(total*8) / (float64(len(frames)) / float64(fps)) / 1000
}

// preEncode encodes a moving test pattern once. The encoder is told each
// frame's nominal duration, so its rate control works as in real time
// without waiting for it.
func preEncode(bitrate, fps int, length time.Duration) ([][]byte, error) {
	const w, h = 640, 480
	enc, err := vp8.New(vp8.Options{Width: w, Height: h, FPS: float64(fps), BitRate: bitrate, KeyframeEvery: 4 * time.Second})
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	period := time.Second / time.Duration(fps)
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	var out [][]byte
	for n := range int(length / period) {
		kit.DrawTestFrame(img, n)
		b, _, err := enc.Encode(img, period, false)
		if err != nil {
			return nil, err
		}
		if len(b) > 0 {
			out = append(out, b)
		}
	}
	return out, nil
}

type demo struct {
	AdminUser     string `json:"admin_user"`
	AdminPassword string `json:"admin_password"`
	ProctorUser   string `json:"proctor_user"`
	ProctorPass   string `json:"proctor_password"`
	Competition   string `json:"competition"`
}

// profilePrefix, when set, names the server CPU profiles to take.
var profilePrefix string

// soakOptions turn a measurement into a soak.
type soakOptions struct {
	every time.Duration
}

// serverStats is what GET /api/stats says, plus the process's memory and,
// when the server has a debug listener, its live heap after a collection.
type serverStats struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	RSS        int64  `json:"-"`
	LiveHeap   uint64 `json:"-"`
}

// liveHeap asks the server's debug listener to collect garbage and report
// what is left: the heap profile's text form ends with runtime.MemStats.
func liveHeap(dbgPort int) (uint64, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?gc=1&debug=1", dbgPort))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "# HeapAlloc = "); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("the heap profile has no HeapAlloc line")
}

// saveHeap writes the server's heap profile, after a collection, to name.
func saveHeap(dbgPort int, name string) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?gc=1", dbgPort))
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if f, err := os.Create(name); err == nil {
		io.Copy(f, resp.Body)
		f.Close()
	}
}

func getStats(c *kit.Client, pid, dbgPort int) (serverStats, error) {
	var st serverStats
	resp, err := c.HTTP.Get(c.Base.JoinPath("/api/stats").String())
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, err
	}
	st.RSS, _ = kit.Memory(pid)
	if dbgPort != 0 {
		live, err := liveHeap(dbgPort)
		if err != nil {
			return st, err
		}
		st.LiveHeap = live
	}
	return st, nil
}

func measure(serverBin string, n int, frames [][]byte, warm, dur time.Duration, soak *soakOptions) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data, err := os.MkdirTemp("", "kuzet-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	port := freePort()
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	args := []string{"-listen", "127.0.0.1:" + strconv.Itoa(port), "-data", data, "-demo", "-log-level", "error"}
	dbgPort := 0
	if profilePrefix != "" || soak != nil {
		dbgPort = freePort()
		args = append(args, "-debug-listen", "127.0.0.1:"+strconv.Itoa(dbgPort))
	}
	srv := exec.Command(serverBin, args...)
	srv.Stderr = os.Stderr
	// The server dies with this program, even when it exits on an error.
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start %s: %w", serverBin, err)
	}
	defer func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
	}()
	var d demo
	if err := kit.WaitFor(ctx, "demo.json", func() bool {
		raw, err := os.ReadFile(filepath.Join(data, "demo.json"))
		return err == nil && json.Unmarshal(raw, &d) == nil
	}); err != nil {
		return err
	}
	var admin *kit.Client
	if err := kit.WaitFor(ctx, "admin login", func() bool {
		admin, err = kit.Login(url, d.AdminUser, d.AdminPassword)
		return err == nil
	}); err != nil {
		return err
	}
	base, err := getStats(admin, srv.Process.Pid, dbgPort)
	if err != nil {
		return fmt.Errorf("server stats: %w", err)
	}
	ids := make([]protocol.SittingID, n)
	tokens := make([]string, n)
	for i := range n {
		var s struct {
			ID    protocol.SittingID `json:"id"`
			Token string             `json:"token"`
		}
		if err := admin.Post("/api/sittings", map[string]string{"competition": d.Competition, "stage": "essay"}, &s); err != nil {
			return err
		}
		// Proctors see only the sittings assigned to them (issue 7).
		if err := admin.Do(http.MethodPut, "/api/sittings/"+string(s.ID)+"/proctors", map[string][]string{"proctors": {d.ProctorUser}}, nil); err != nil {
			return err
		}
		ids[i], tokens[i] = s.ID, s.Token
	}

	api, err := newAPI()
	if err != nil {
		return err
	}
	pubs := make([]*publisher, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := publish(ctx, api, url, tokens[i])
			if err != nil {
				errs <- err
				return
			}
			pubs[i] = p
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("publishers: %w", err)
	}
	defer func() {
		for _, p := range pubs {
			p.close()
		}
	}()
	// Each stream sends at 15 fps, the streams spread evenly over the frame
	// period as independent agents' cameras are, not all in one instant.
	period := time.Second / 15
	for i, p := range pubs {
		go func() {
			time.Sleep(period * time.Duration(i) / time.Duration(n))
			t := time.NewTicker(period)
			defer t.Stop()
			for k := 0; ; k++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				_ = p.track.WriteSample(media.Sample{Data: frames[k%len(frames)], Duration: period})
			}
		}()
	}

	proctor, err := kit.Login(url, d.ProctorUser, d.ProctorPass)
	if err != nil {
		return err
	}
	viewer, err := proctor.DialViewer(ctx)
	if err != nil {
		return err
	}
	defer viewer.Close()
	if err := viewer.Send(&protocol.Subscribe{}); err != nil {
		return err
	}
	// The feed, on a channel of its own: in a soak, every soak event's
	// (sitting, seq) is counted. Like the dashboard, it comes back after a
	// drop and asks for what it has not seen (Subscribe.Since).
	feed := newFeedCounter()
	if soak != nil {
		go feed.run(ctx, proctor)
	}
	go func() {
		for range viewer.Msgs { // this channel carries the media; its records are not needed
		}
	}()
	subs := make([]*kit.Subscriber, n)
	for i, id := range ids {
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
		s, err := viewer.Watch(wctx, id, protocol.ViewID(fmt.Sprintf("v%d", i)), false)
		wcancel()
		if err != nil {
			return fmt.Errorf("watch %d: %w", i, err)
		}
		subs[i] = s
	}
	defer func() {
		for _, s := range subs {
			s.Close()
		}
	}()
	time.Sleep(warm)
	if soak != nil {
		return runSoak(admin, srv.Process.Pid, dbgPort, base, pubs, subs, ids, dur, soak, feed, viewer)
	}
	count := func() (pk, lost int64) {
		for _, s := range subs {
			pk += s.Packets.Load()
			lost += s.Lost.Load()
		}
		return
	}
	flowing := 0
	for _, s := range subs {
		if s.Packets.Load() > 0 {
			flowing++
		}
	}
	cpu0, err := kit.CPUSeconds(srv.Process.Pid)
	if err != nil {
		return err
	}
	gen0, _ := kit.CPUSeconds(os.Getpid())
	p0, l0 := count()
	t0 := time.Now()
	if dbgPort != 0 {
		go func() {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", dbgPort, int(dur.Seconds())-2))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			f, err := os.Create(fmt.Sprintf("%s-%d.prof", profilePrefix, n))
			if err == nil {
				io.Copy(f, resp.Body)
				f.Close()
			}
		}()
	}
	time.Sleep(dur)
	cpu1, _ := kit.CPUSeconds(srv.Process.Pid)
	gen1, _ := kit.CPUSeconds(os.Getpid())
	if profilePrefix != "" {
		// And where the memory is, at the end of the window.
		saveHeap(dbgPort, fmt.Sprintf("%s-%d.heap", profilePrefix, n))
	}
	p1, l1 := count()
	el := time.Since(t0).Seconds()
	cpu := cpu1 - cpu0
	pk, lost := p1-p0, l1-l0
	loss := 0.0
	if pk+lost > 0 {
		loss = 100 * float64(lost) / float64(pk+lost)
	}
	perStream := cpu / (float64(n) * el) * 1000
	// The generator (publishers and viewers, this process) shares the
	// machine: when server and generator together use every core, loss is
	// the machine's, not the server's.
	fmt.Printf("| %d | %.0f s | %.1f s (%.0f %% of one core) | %.2f ms | %.0f | %.0f | %.2f %% | %.0f %% |\n",
		n, el, cpu, 100*cpu/el, perStream, float64(pk)/el, float64(pk)/cpu, loss, 100*(gen1-gen0)/el)
	if flowing < n {
		fmt.Printf("  (only %d of %d viewers were receiving media after the warm-up)\n", flowing, n)
	}
	return nil
}

func freePort() int {
	l, err := (&net0{}).listen()
	if err != nil {
		fail("free port: %v", err)
	}
	return l
}

func newAPI() (*webrtc.API, error) {
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
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// publisher is a synthetic agent: it says hello on the agent channel,
// publishes one VP8 track and keeps the connection alive with heartbeats.
type publisher struct {
	ws     *websocket.Conn
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticSample
	stop   chan struct{}
	closed atomic.Bool
	send   func(protocol.Message) error
	// seq is the last event number sent; acked counts acknowledgements.
	seq   atomic.Uint64
	acked atomic.Uint64
}

// event sends the publisher's next rule event (an informational instant,
// as a detector would).
func (p *publisher) event() error {
	n := p.seq.Add(1)
	return p.send(&protocol.Event{Seq: n, Time: time.Now().UTC(), Rule: protocol.Rule10_6, Kind: protocol.KindInstant,
		Subject: "soak", Severity: protocol.SeverityInfo, Key: "camera.started"})
}

func publish(ctx context.Context, api *webrtc.API, base, token string) (*publisher, error) {
	var ws *websocket.Conn
	for try := 0; ; try++ {
		var resp *http.Response
		var err error
		ws, resp, err = websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/agent", nil)
		if err == nil {
			break
		}
		// As the agent does: a busy server is tried again.
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || try > 20 {
			return nil, err
		}
		time.Sleep(time.Duration(200+rand.IntN(800)) * time.Millisecond)
	}
	codec := protocol.NewCodec(protocol.ServerToAgent, protocol.AgentToServer)
	var wmu sync.Mutex
	send := func(m protocol.Message) error {
		f, err := codec.Encode(m)
		if err != nil {
			return err
		}
		wmu.Lock()
		defer wmu.Unlock()
		return ws.WriteMessage(websocket.TextMessage, f)
	}
	read := func() (protocol.Message, error) {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		return codec.Decode(data)
	}
	if err := send(&protocol.Hello{Versions: []int{1}, Token: token, Agent: protocol.AgentInfo{Version: "load"}, Lang: "en"}); err != nil {
		return nil, err
	}
	if m, err := read(); err != nil {
		return nil, err
	} else if wl, ok := m.(*protocol.Welcome); !ok {
		return nil, fmt.Errorf("got %s, not welcome", m.Type())
	} else if !wl.Consent.Given {
		// The candidate consents in the page before anything is published.
		if _, err := kit.Consent(wl.CandidateURL, true, "en"); err != nil {
			return nil, err
		}
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", "load")
	if err != nil {
		return nil, err
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	<-gathered
	if err := send(&protocol.Offer{SDP: pc.LocalDescription().SDP}); err != nil {
		return nil, err
	}
	for {
		m, err := read()
		if err != nil {
			return nil, err
		}
		if a, ok := m.(*protocol.Answer); ok {
			if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: a.SDP}); err != nil {
				return nil, err
			}
			break
		}
	}
	p := &publisher{ws: ws, pc: pc, track: track, stop: make(chan struct{}), send: send}
	go func() { // heartbeats
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				if send(&protocol.Heartbeat{Time: time.Now().UTC()}) != nil {
					return
				}
			}
		}
	}()
	go func() { // count acks, drain heartbeats
		for {
			m, err := read()
			if err != nil {
				return
			}
			if _, ok := m.(*protocol.Ack); ok {
				p.acked.Add(1)
			}
		}
	}()
	return p, nil
}

func (p *publisher) close() {
	if p == nil || p.closed.Swap(true) {
		return
	}
	close(p.stop)
	p.pc.Close()
	p.ws.Close()
}

// runSoak keeps every agent streaming and sending events for dur, then
// checks that every event reached the proctor's feed exactly once and that
// the server's goroutines and memory did not grow. Growth is measured from
// the end of the first minute: by then every stream's buffers (jitter,
// NACK history, recorder) are full, which is a plateau, not a leak.
func runSoak(admin *kit.Client, pid, dbgPort int, base serverStats, pubs []*publisher, subs []*kit.Subscriber, ids []protocol.SittingID,
	dur time.Duration, o *soakOptions, feed *feedCounter, media *kit.Viewer) error {
	start, err := getStats(admin, pid, dbgPort)
	if err != nil {
		return err
	}
	var p0 int64
	for _, s := range subs {
		p0 += s.Packets.Load()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(o.every * time.Duration(i) / time.Duration(len(pubs)))
			t := time.NewTicker(o.every)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					_ = p.event()
				}
			}
		}()
	}
	t0 := time.Now()
	var samples []serverStats
	for time.Since(t0) < dur {
		time.Sleep(min(time.Minute, dur-time.Since(t0)))
		if st, err := getStats(admin, pid, dbgPort); err == nil {
			samples = append(samples, st)
		}
		if profilePrefix != "" {
			// pprof -diff_base FILE-soak-1.heap FILE-soak-N.heap shows what grew.
			saveHeap(dbgPort, fmt.Sprintf("%s-soak-%d.heap", profilePrefix, len(samples)))
		}
	}
	close(stop)
	wg.Wait()
	// Every event acknowledged…
	deadline := time.Now().Add(60 * time.Second)
	for _, p := range pubs {
		for p.acked.Load() < p.seq.Load() && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Second)
	end, err := getStats(admin, pid, dbgPort)
	if err != nil {
		return err
	}
	var p1 int64
	for _, s := range subs {
		p1 += s.Packets.Load()
	}
	// … stored by the server exactly once, and in the feed exactly once.
	sent, lost, dup, unacked := uint64(0), 0, 0, uint64(0)
	flost, fdup := 0, 0
	got, drops, why := feed.snapshot()
	for i, p := range pubs {
		n := p.seq.Load()
		sent += n
		unacked += n - min(n, p.acked.Load())
		stored, err := storedSoakEvents(admin, ids[i])
		if err != nil {
			return err
		}
		for seq := uint64(1); seq <= n; seq++ {
			switch c := stored[seq]; {
			case c == 0:
				lost++
			case c > 1:
				dup++
			}
			switch c := got[ids[i]][seq]; {
			case c == 0:
				flost++
			case c > 1:
				fdup++
			}
		}
	}
	fmt.Printf("soak: %d agents for %s, one event each every %s, media to one viewer each\n", len(pubs), dur, o.every)
	warm := start
	if len(samples) > 1 {
		warm = samples[0]
	}
	fmt.Printf("| events sent | acked | stored: lost | stored: duplicated | feed: missing | feed: repeated | feed reconnects | media packets received | goroutines (start / 1 min / end) | live heap (start / 1 min / end) | RSS (start / 1 min / end) |\n")
	fmt.Printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Printf("| %d | %d | %d | %d | %d | %d | %d | %d | %d / %d / %d | %d / %d / %d MB | %d / %d / %d MB |\n", sent, sent-unacked, lost, dup, flost, fdup, drops, p1-p0,
		start.Goroutines, warm.Goroutines, end.Goroutines, start.LiveHeap>>20, warm.LiveHeap>>20, end.LiveHeap>>20,
		start.RSS>>20, warm.RSS>>20, end.RSS>>20)
	fmt.Printf("  before the agents: goroutines %d, live heap %d MB, RSS %d MB\n", base.Goroutines, base.LiveHeap>>20, base.RSS>>20)
	for i, st := range samples {
		fmt.Printf("  minute %d: goroutines %d, live heap %d MB, RSS %d MB\n", i+1, st.Goroutines, st.LiveHeap>>20, st.RSS>>20)
	}
	if drops > 0 {
		fmt.Printf("  the feed channel was dropped %d times; last: %v\n", drops, why)
	}
	select {
	case <-media.Done():
		fmt.Printf("  the media viewers' channel ended: %v\n", media.Err)
	default:
	}
	var problems []string
	if lost > 0 || dup > 0 || unacked > 0 {
		problems = append(problems, fmt.Sprintf("%d events lost, %d duplicated, %d unacknowledged", lost, dup, unacked))
	}
	if flost > 0 || fdup > 0 {
		problems = append(problems, fmt.Sprintf("the proctor's feed missed %d events and repeated %d", flost, fdup))
	}
	if end.Goroutines > warm.Goroutines+warm.Goroutines/10+20 {
		problems = append(problems, fmt.Sprintf("goroutines grew from %d to %d", warm.Goroutines, end.Goroutines))
	}
	if end.LiveHeap > warm.LiveHeap+warm.LiveHeap/10+16<<20 {
		problems = append(problems, fmt.Sprintf("the live heap grew from %d to %d MB", warm.LiveHeap>>20, end.LiveHeap>>20))
	}
	if end.RSS > warm.RSS+warm.RSS/4+64<<20 {
		problems = append(problems, fmt.Sprintf("RSS grew from %d to %d MB", warm.RSS>>20, end.RSS>>20))
	}
	if len(problems) > 0 {
		return fmt.Errorf("soak failed: %s", strings.Join(problems, "; "))
	}
	fmt.Println("soak: nothing lost, nothing duplicated, no growth")
	return nil
}

// feedCounter follows the proctor's feed and counts each soak event by
// (sitting, seq), reconnecting after a drop from where it was.
type feedCounter struct {
	mu    sync.Mutex
	seen  map[protocol.SittingID]map[uint64]int
	since map[protocol.SittingID]uint64
	drops int
	why   error
}

func newFeedCounter() *feedCounter {
	return &feedCounter{seen: map[protocol.SittingID]map[uint64]int{}, since: map[protocol.SittingID]uint64{}}
}

func (f *feedCounter) run(ctx context.Context, proctor *kit.Client) {
	for ctx.Err() == nil {
		v, err := proctor.DialViewer(ctx)
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		f.mu.Lock()
		since := maps.Clone(f.since)
		f.mu.Unlock()
		if err := v.Send(&protocol.Subscribe{Since: since}); err == nil {
			for m := range v.Msgs {
				r, ok := m.(*protocol.Record)
				if !ok {
					continue
				}
				f.mu.Lock()
				if r.N > f.since[r.Sitting] {
					f.since[r.Sitting] = r.N
				}
				if r.Event != nil && r.Event.Subject == "soak" {
					if f.seen[r.Sitting] == nil {
						f.seen[r.Sitting] = map[uint64]int{}
					}
					f.seen[r.Sitting][r.Event.Seq]++
				}
				f.mu.Unlock()
			}
		}
		v.Close()
		if ctx.Err() != nil {
			return
		}
		f.mu.Lock()
		f.drops++
		f.why = v.Err
		f.mu.Unlock()
	}
}

func (f *feedCounter) snapshot() (map[protocol.SittingID]map[uint64]int, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[protocol.SittingID]map[uint64]int{}
	for k, v := range f.seen {
		out[k] = maps.Clone(v)
	}
	return out, f.drops, f.why
}

// storedSoakEvents counts the soak events the server holds for a sitting,
// by sequence number, from the auditor's timeline (the stored records).
func storedSoakEvents(admin *kit.Client, id protocol.SittingID) (map[uint64]int, error) {
	var tl struct {
		Records []protocol.Record `json:"records"`
	}
	if err := admin.Do(http.MethodGet, "/api/replay/sittings/"+string(id), nil, &tl); err != nil {
		return nil, fmt.Errorf("records of %s: %w", id, err)
	}
	out := map[uint64]int{}
	for _, r := range tl.Records {
		if r.Event != nil && r.Event.Subject == "soak" {
			out[r.Event.Seq]++
		}
	}
	return out, nil
}
