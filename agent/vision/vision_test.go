package vision

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/footage"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

func newAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := NewAnalyzer(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func render(t testing.TB, w, h int, seed uint64, s footage.Scene, n int) *image.YCbCr {
	t.Helper()
	r, err := footage.NewRenderer(w, h, seed)
	if err != nil {
		t.Fatal(err)
	}
	img, err := r.Frame(s, time.Duration(n)*200*time.Millisecond, n)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestAnalyzeBadFrames(t *testing.T) {
	a := newAnalyzer(t)
	good := render(t, 64, 48, 1, footage.Scene{Kind: footage.Face, Duration: time.Second}, 0)
	short := *good
	short.Y = short.Y[:100]
	narrow := *good
	narrow.YStride = 10
	cases := []struct {
		name string
		img  image.Image
		want error
	}{
		{"nil", nil, ErrEmptyFrame},
		{"zero size", image.NewYCbCr(image.Rect(0, 0, 0, 0), image.YCbCrSubsampleRatio420), ErrEmptyFrame},
		{"zero height", image.NewGray(image.Rect(0, 0, 10, 0)), ErrEmptyFrame},
		{"tiny", image.NewGray(image.Rect(0, 0, 8, 8)), ErrFrameTooSmall},
		{"luma buffer too short", &short, ErrBadFrame},
		{"stride shorter than a row", &narrow, ErrBadFrame},
		{"RGBA buffer too short", &image.RGBA{Pix: make([]uint8, 10), Stride: 4 * 32, Rect: image.Rect(0, 0, 32, 32)}, ErrBadFrame},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Analyze(tc.img)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Analyze error = %v, want %v", err, tc.want)
			}
			if _, err := Snapshot(tc.img, 320, 240, 75); err == nil && tc.want != ErrFrameTooSmall {
				t.Fatalf("Snapshot accepted a bad frame")
			}
		})
	}
}

// The same picture handed over as different image types, sub-images with
// their parent's strides and odd sizes must measure the same.
func TestAnalyzeImageTypesAgree(t *testing.T) {
	base := render(t, 322, 242, 2, footage.Scene{Kind: footage.Face, Duration: time.Second}, 0)
	big := image.NewYCbCr(image.Rect(-7, -5, 400, 300), image.YCbCrSubsampleRatio420)
	for y := 0; y < 242; y++ {
		for x := 0; x < 322; x++ {
			c := base.YCbCrAt(x, y)
			big.Y[big.YOffset(x+11, y+13)] = c.Y
			i := big.COffset(x+11, y+13)
			big.Cb[i], big.Cr[i] = c.Cb, c.Cr
		}
	}
	sub := big.SubImage(image.Rect(11, 13, 11+322, 13+242))
	rgba := image.NewRGBA(image.Rect(0, 0, 322, 242))
	nrgba := image.NewNRGBA(image.Rect(0, 0, 322, 242))
	gray := image.NewGray(image.Rect(0, 0, 322, 242))
	paletted := image.NewPaletted(image.Rect(0, 0, 322, 242), nil)
	var pal color.Palette
	for i := 0; i < 256; i++ {
		pal = append(pal, color.Gray{uint8(i)})
	}
	paletted.Palette = pal
	for y := 0; y < 242; y++ {
		for x := 0; x < 322; x++ {
			c := base.At(x, y)
			rgba.Set(x, y, c)
			nrgba.Set(x, y, c)
			gray.Set(x, y, c)
			paletted.Set(x, y, c)
		}
	}
	for name, img := range map[string]image.Image{"sub-image": sub, "RGBA": rgba, "NRGBA": nrgba, "Gray": gray, "Paletted": paletted} {
		t.Run(name, func(t *testing.T) {
			a := newAnalyzer(t)
			obs, err := a.Analyze(img)
			if err != nil {
				t.Fatal(err)
			}
			if obs.Width != 319 || obs.Height != 240 || obs.SourceWidth != 322 {
				t.Fatalf("analysed %dx%d of %dx%d", obs.Width, obs.Height, obs.SourceWidth, obs.SourceHeight)
			}
			if len(obs.Faces) != 1 || !obs.Faces[0].Frontal {
				t.Fatalf("faces = %+v, want one frontal", obs.Faces)
			}
			if obs.Luma < 60 || obs.Dark || obs.Uniform {
				t.Fatalf("observation %+v", obs)
			}
		})
	}
}

func TestVirtualCamera(t *testing.T) {
	cases := []struct {
		name, vendor string
	}{
		{"OBS Virtual Camera", "OBS Virtual Camera"},
		{"ManyCam Virtual Webcam", "ManyCam"},
		{"Dummy video device (0x0000)", "v4l2loopback"},
		{"XSplit VCam", "XSplit VCam"},
		{"Snap Camera", "Snap Camera"},
		{"e2eSoft VCam", "e2eSoft VCam"},
		{"CamTwist", "CamTwist"},
		{"mmhmm Camera", "mmhmm"},
		{"NVIDIA Broadcast", "NVIDIA Broadcast"},
		{"My Virtual Camera", "unnamed virtual camera"},
		{"Integrated Camera: Integrated C", ""},
		{"HD Pro Webcam C920", ""},
		{"FaceTime HD Camera", ""},
		{"Logitech BRIO", ""},
		{"WebVCamera", ""},
		{"", ""},
	}
	for _, tc := range cases {
		vendor, ok := VirtualCamera(tc.name)
		if vendor != tc.vendor || ok != (tc.vendor != "") {
			t.Errorf("VirtualCamera(%q) = %q, %v; want %q", tc.name, vendor, ok, tc.vendor)
		}
	}
	tr, ok := VirtualCameraTransition(time.Unix(1, 0), "OBS Virtual Camera")
	if !ok || tr.Rule != protocol.Rule10_1 || tr.Kind != protocol.KindInstant || tr.Args["vendor"] != "OBS Virtual Camera" {
		t.Fatalf("transition = %+v", tr)
	}
	if _, ok := VirtualCameraTransition(time.Unix(1, 0), "HD Pro Webcam C920"); ok {
		t.Fatal("a physical camera gave a transition")
	}
}

// The list of virtual cameras is data; every line must parse.
func TestVirtualCameraList(t *testing.T) {
	n := 0
	for i, line := range strings.Split(virtualCamsText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		vendor, frags, ok := strings.Cut(line, "|")
		if !ok || strings.TrimSpace(vendor) == "" || normaliseName(frags) == "" {
			t.Errorf("virtualcams.txt line %d %q: want VENDOR | fragment, …", i+1, line)
		}
	}
	if got := len(virtualCameras()); got != n || n < 20 {
		t.Errorf("parsed %d products from %d lines", got, n)
	}
}

func TestConfigValidate(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	cases := []struct {
		field string
		mod   func(*Config)
	}{
		{"AnalysisWidth", func(c *Config) { c.AnalysisWidth = 10 }},
		{"MinFaceSize", func(c *Config) { c.MinFaceSize = 4 }},
		{"MaxFaceSize", func(c *Config) { c.MaxFaceSize = 20 }},
		{"FaceQuality", func(c *Config) { c.FaceQuality = 0 }},
		{"ScaleFactor", func(c *Config) { c.ScaleFactor = 1 }},
		{"durations", func(c *Config) { c.NoFaceFor = -time.Second }},
		{"ManyFacesFrames", func(c *Config) { c.ManyFacesFrames = 0 }},
		{"SnapshotQuality", func(c *Config) { c.SnapshotQuality = 101 }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Validate = %v, want ErrConfig naming it", tc.field, err)
		}
		if _, err := NewAnalyzer(c); err == nil {
			t.Errorf("%s: NewAnalyzer accepted an invalid config", tc.field)
		}
	}
}

type event struct {
	rule protocol.RuleID
	kind protocol.EventKind
	at   time.Duration
}

// feed runs observations through a watcher at 5 per second.
func feed(t *testing.T, w *Watcher, img image.Image, obs []Observation) ([]event, []finding.Transition) {
	t.Helper()
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var evs []event
	var all []finding.Transition
	for i, o := range obs {
		for _, tr := range w.Update(t0.Add(time.Duration(i)*200*time.Millisecond), img, o) {
			all = append(all, tr)
			evs = append(evs, event{tr.Rule, tr.Kind, tr.At.Sub(t0)})
		}
	}
	return evs, all
}

func repeat(o Observation, n int) []Observation {
	out := make([]Observation, n)
	for i := range out {
		out[i] = o
	}
	return out
}

func TestWatcherPolicy(t *testing.T) {
	img := render(t, 160, 120, 3, footage.Scene{Kind: footage.Face, Duration: time.Second}, 0)
	one := Observation{Faces: []Face{{X: 80, Y: 60, Size: 50, PoseChecked: true, Frontal: true}}, HasPrevious: true}
	two := one
	two.Faces = []Face{one.Faces[0], {X: 20, Y: 60, Size: 40}}
	none := Observation{HasPrevious: true}
	turned := Observation{Faces: []Face{{X: 80, Y: 60, Size: 50, PoseChecked: true}}, HasPrevious: true}
	tracked := Observation{Tracked: true, HasPrevious: true}
	dark := Observation{Dark: true, HasPrevious: true}
	frozen := one
	frozen.Frozen = true
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }

	cases := []struct {
		name string
		obs  [][]Observation
		want []event
	}{
		{"face present: only the reference", [][]Observation{repeat(one, 50)}, []event{{protocol.Rule10_1, protocol.KindInstant, 0}}},
		// A face must be seen twice in a row to count, so ends come one frame
		// (200 ms) after the face is back.
		{"no face for 5 s starts 10.3 at its beginning; back ends it after 1 s", [][]Observation{repeat(one, 5), repeat(none, 30), repeat(one, 10)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}, {protocol.Rule10_3, protocol.KindStart, ms(1000)}, {protocol.Rule10_3, protocol.KindEnd, ms(7200)}}},
		{"a single false face does not restart the grace period", [][]Observation{repeat(one, 5), repeat(none, 10), repeat(two, 1), repeat(none, 15), repeat(one, 10)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}, {protocol.Rule10_3, protocol.KindStart, ms(1000)}, {protocol.Rule10_3, protocol.KindEnd, ms(6400)}}},
		{"4 s without a face is nothing", [][]Observation{repeat(one, 5), repeat(none, 20), repeat(one, 10)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}}},
		{"a flicker back does not split the span", [][]Observation{repeat(one, 1), repeat(none, 30), repeat(one, 2), repeat(none, 10), repeat(one, 10)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}, {protocol.Rule10_3, protocol.KindStart, 0}, {protocol.Rule10_3, protocol.KindEnd, ms(8800)}}},
		{"two faces in 3 frames start 10.2", [][]Observation{repeat(one, 2), repeat(two, 3), repeat(one, 3)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}, {protocol.Rule10_2, protocol.KindStart, ms(400)}, {protocol.Rule10_2, protocol.KindEnd, ms(1000)}}},
		{"two faces in 2 frames is nothing", [][]Observation{repeat(one, 2), repeat(two, 2), repeat(one, 3), repeat(two, 2), repeat(one, 3)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}}},
		{"turned face for 5 s is 10.4, not 10.3", [][]Observation{repeat(one, 2), repeat(turned, 15), repeat(tracked, 15), repeat(one, 10)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}, {protocol.Rule10_4, protocol.KindStart, ms(400)}, {protocol.Rule10_4, protocol.KindEnd, ms(6600)}}},
		{"dark for 2 s is 10.5 and hides the face rules", [][]Observation{repeat(one, 2), repeat(dark, 50), repeat(one, 10)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}, {protocol.Rule10_5, protocol.KindStart, ms(400)}, {protocol.Rule10_5, protocol.KindEnd, ms(10400)}}},
		{"frozen for 10 s is 10.5", [][]Observation{repeat(one, 2), repeat(frozen, 60), repeat(one, 10)},
			[]event{{protocol.Rule10_1, protocol.KindInstant, 0}, {protocol.Rule10_5, protocol.KindStart, ms(400)}, {protocol.Rule10_5, protocol.KindEnd, ms(12400)}}},
		{"no face at all: reference after 30 s anyway", [][]Observation{repeat(none, 160)},
			[]event{{protocol.Rule10_3, protocol.KindStart, 0}, {protocol.Rule10_1, protocol.KindInstant, 30 * time.Second}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var obs []Observation
			for _, o := range tc.obs {
				obs = append(obs, o...)
			}
			got, trs := feed(t, NewWatcher(DefaultConfig()), img, obs)
			if len(got) != len(tc.want) {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("event %d = %v, want %v (all %v)", i, got[i], tc.want[i], got)
				}
			}
			for _, tr := range trs {
				if tr.Kind != protocol.KindEnd && (len(tr.Evidence) != 1 || !isJPEG(tr.Evidence[0].Data)) {
					t.Fatalf("%s %s has no JPEG evidence", tr.Rule, tr.Kind)
				}
				if tr.Kind == protocol.KindEnd && tr.Evidence != nil {
					t.Fatalf("end carries evidence")
				}
			}
		})
	}
}

func isJPEG(b []byte) bool {
	_, err := jpeg.Decode(bytes.NewReader(b))
	return err == nil && len(b) > 100
}

func TestWatcherSnapshotsAndEnd(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotEvery = 10 * time.Second
	w := NewWatcher(cfg)
	img := render(t, 640, 480, 4, footage.Scene{Kind: footage.Face, Duration: time.Second}, 0)
	one := Observation{Faces: []Face{{Size: 50, PoseChecked: true, Frontal: true}}}
	t0 := time.Unix(1000, 0)
	var snaps, refs int
	for i := 0; i < 5*35; i++ {
		for _, tr := range w.Update(t0.Add(time.Duration(i)*200*time.Millisecond), img, one) {
			switch tr.Subject {
			case SubjectPeriodic:
				snaps++
				if tr.Evidence[0].Kind != protocol.EvidenceSnapshot {
					t.Fatal("periodic snapshot evidence kind")
				}
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(tr.Evidence[0].Data))
				if err != nil || cfg.Width != 320 || cfg.Height != 240 {
					t.Fatalf("snapshot %dx%d, %v; want 320x240", cfg.Width, cfg.Height, err)
				}
			case SubjectReference:
				refs++
				if tr.Evidence[0].Kind != protocol.EvidenceReference {
					t.Fatal("reference evidence kind")
				}
			}
		}
	}
	if refs != 1 || snaps != 3 {
		t.Fatalf("reference %d, periodic snapshots %d in 35 s every 10 s; want 1 and 3", refs, snaps)
	}
	for range 30 {
		w.Update(t0.Add(40*time.Second), img, Observation{})
	}
	none := Observation{}
	var started bool
	for i := 0; i < 40; i++ {
		for _, tr := range w.Update(t0.Add(40*time.Second+time.Duration(i)*200*time.Millisecond), img, none) {
			started = started || (tr.Rule == protocol.Rule10_3 && tr.Kind == protocol.KindStart)
		}
	}
	if open := w.Open(); len(open) != 1 || open[0] != SubjectFace {
		t.Fatalf("Open = %v, want [%s]", open, SubjectFace)
	}
	ends := w.End(t0.Add(time.Minute))
	if open := w.Open(); len(open) != 0 {
		t.Fatalf("Open after End = %v", open)
	}
	if !started || len(ends) != 1 || ends[0].Rule != protocol.Rule10_3 || ends[0].Kind != protocol.KindEnd {
		t.Fatalf("started %v, End gave %+v", started, ends)
	}
	if again := w.End(t0.Add(time.Minute)); len(again) != 0 {
		t.Fatalf("second End gave %+v", again)
	}
	id, err := w.IDPhoto(t0, img)
	if err != nil || id.Evidence[0].Kind != protocol.EvidenceIDPhoto || !isJPEG(id.Evidence[0].Data) {
		t.Fatalf("IDPhoto = %+v, %v", id, err)
	}
}

// TestWatcherOnFootage runs the demo script through the real analysis and
// policy and checks each rule is raised in its scene and cleared after it,
// and nothing else is raised.
func TestWatcherOnFootage(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the demo script")
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	script := footage.DemoScript()
	script = append(script, footage.Scene{Kind: footage.Profile, Duration: 8 * time.Second}, footage.Scene{Kind: footage.Face, Duration: 4 * time.Second},
		footage.Scene{Kind: footage.Frozen, Duration: 13 * time.Second}, footage.Scene{Kind: footage.Face, Duration: 3 * time.Second})
	type span struct {
		rule  protocol.RuleID
		scene footage.Kind
		start bool
	}
	want := []span{
		{protocol.Rule10_3, footage.Empty, true}, {protocol.Rule10_3, footage.Face, false},
		{protocol.Rule10_2, footage.People, true}, {protocol.Rule10_2, footage.Face, false},
		{protocol.Rule10_5, footage.Covered, true}, {protocol.Rule10_5, footage.Face, false},
		{protocol.Rule10_4, footage.Away, true}, {protocol.Rule10_4, footage.Face, false},
		{protocol.Rule10_4, footage.Profile, true}, {protocol.Rule10_4, footage.Face, false},
		{protocol.Rule10_5, footage.Frozen, true}, {protocol.Rule10_5, footage.Face, false},
	}
	for _, run := range []struct {
		w, h int
		seed uint64
	}{{320, 240, 9}, {640, 480, 1}, {424, 240, 5}} {
		if raceEnabled && run.w != 320 {
			continue // one size is enough to look for races
		}
		t.Run(fmt.Sprintf("%dx%d seed %d", run.w, run.h, run.seed), func(t *testing.T) {
			a := newAnalyzer(t)
			w := NewWatcher(DefaultConfig())
			t0 := time.Unix(0, 0)
			var got []span
			err := footage.Play(run.w, run.h, 5, run.seed, script, func(f footage.Frame) error {
				obs, err := a.Analyze(f.Image)
				if err != nil {
					return err
				}
				for _, tr := range w.Update(t0.Add(f.At), f.Image, obs) {
					if tr.Rule == protocol.Rule10_1 {
						continue
					}
					if !cat.Has(tr.Key) {
						t.Errorf("transition key %q is not in the catalogue", tr.Key)
					}
					t.Logf("%5.1fs %-8s %s %s %s", f.At.Seconds(), f.Scene.Kind, tr.Rule, tr.Kind, cat.Text(i18n.EN, tr.Key, tr.Args))
					got = append(got, span{tr.Rule, f.Scene.Kind, tr.Kind == protocol.KindStart})
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("transitions %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("transition %d = %v, want %v (all %v)", i, got[i], want[i], got)
				}
			}
		})
	}
}

// The pose of a face that has not moved is reused for one frame at most.
func TestPoseMeasuredEverySecondFrame(t *testing.T) {
	a := newAnalyzer(t)
	img := render(t, 320, 240, 2, footage.Scene{Kind: footage.Face, Duration: time.Second}, 0)
	var reused []bool
	for range 5 {
		obs, err := a.Analyze(img)
		if err != nil {
			t.Fatal(err)
		}
		if len(obs.Faces) != 1 || !obs.Faces[0].PoseChecked || !obs.Faces[0].Frontal {
			t.Fatalf("faces %+v", obs.Faces)
		}
		reused = append(reused, a.pose.reused)
	}
	want := []bool{false, true, false, true, false}
	for i := range want {
		if reused[i] != want[i] {
			t.Fatalf("pose reused %v, want %v", reused, want)
		}
	}
	turned := render(t, 320, 240, 2, footage.Scene{Kind: footage.Profile, Duration: time.Second}, 0)
	if obs, err := a.Analyze(turned); err != nil || (len(obs.Faces) > 0 && obs.Faces[0].Frontal) {
		t.Fatalf("a turned head right after a frontal one: %+v, %v", obs.Faces, err)
	}
}
