package analyze

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/footage"
	"kuzet.kz/kuzet/internal/nonull"
	"kuzet.kz/kuzet/protocol/i18n"
)

func catalogue(t *testing.T) *i18n.Catalogue {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func writeY4M(t *testing.T, path string, fps int, script []footage.Scene) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := footage.WriteY4M(f, 160, 120, fps, 3, script); err != nil {
		t.Fatal(err)
	}
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = RunCommand(context.Background(), args, &out, &errb, catalogue(t), i18n.EN)
	return code, out.String(), errb.String()
}

func TestY4MVideoRaisesEvents(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "sitting.y4m")
	writeY4M(t, video, 10, []footage.Scene{
		{Kind: footage.Face, Duration: 3 * time.Second},
		{Kind: footage.Empty, Duration: 7 * time.Second},
		{Kind: footage.Face, Duration: 3 * time.Second},
	})
	code, out, errOut := runCmd(t, "--json", video)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !rep.OK || len(rep.Inputs) != 1 {
		t.Fatalf("report %+v", rep)
	}
	in := rep.Inputs[0]
	// 13 s at 10 fps analysed at 5 fps: every second frame.
	if in.Kind != "y4m" || len(in.Frames) != 65 {
		t.Fatalf("kind %s, %d frames analysed, want y4m and 65", in.Kind, len(in.Frames))
	}
	var rules []string
	for _, e := range in.Events {
		rules = append(rules, e.Rule+" "+e.Kind)
		if e.Text == "" || strings.Contains(e.Text, "[") {
			t.Errorf("event text %q", e.Text)
		}
	}
	want := "10.1 instant,10.3 start,10.3 end"
	if len(in.Open) != 0 {
		t.Fatalf("open spans %v", in.Open)
	}
	if strings.Join(rules, ",") != want {
		t.Fatalf("events %v, want %s", rules, want)
	}
	if in.Events[1].Seconds < 2.5 || in.Events[1].Seconds > 3.5 || len(in.Events[1].Evidence) != 1 || len(in.Events[1].Evidence[0].SHA256) != 64 {
		t.Fatalf("10.3 start %+v", in.Events[1])
	}

	code, out, _ = runCmd(t, video)
	if code != ExitOK || !strings.Contains(out, "rule 10.3, start: Your face has not been visible for 5 s") || !strings.Contains(out, "All 1 inputs were analysed completely.") {
		t.Fatalf("text report (exit %d):\n%s", code, out)
	}
}

func TestRoomScanFlag(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "scan.y4m")
	writeY4M(t, video, 5, []footage.Scene{{Kind: footage.Pan, Degrees: 360, FOV: 60, Duration: 16 * time.Second}})
	code, out, errOut := runCmd(t, "--json", "--room-scan", video)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	rs := rep.Inputs[0].RoomScan
	if rs == nil || !rs.Passed || rs.Degrees < 345 || rs.Degrees > 375 {
		t.Fatalf("room scan %+v", rs)
	}
	if e := rep.Inputs[0].RoomScanEvent; e == nil || e.Rule != "10.7" || e.Key != "roomscan.passed" {
		t.Fatalf("room scan event %+v", e)
	}
	code, out, _ = runCmd(t, "--room-scan", "--fov", "60", video)
	if code != ExitOK || !strings.Contains(out, "Room scan passed") {
		t.Fatalf("text (exit %d):\n%s", code, out)
	}
}

func TestDirectoryWithDamagedFrame(t *testing.T) {
	dir := t.TempDir()
	frames := filepath.Join(dir, "frames")
	if err := os.Mkdir(frames, 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := footage.NewRenderer(320, 240, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		img, err := r.Frame(footage.Scene{Kind: footage.Face, Duration: time.Second}, time.Duration(i)*200*time.Millisecond, i)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		name := filepath.Join(frames, "f"+string(rune('0'+i)))
		if i%2 == 0 {
			err = jpeg.Encode(&buf, img, nil)
			name += ".jpg"
		} else {
			err = png.Encode(&buf, img)
			name += ".png"
		}
		if err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		if i == 2 {
			data = data[:len(data)/3] // cut off: a damaged upload
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(frames, "notes.txt"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, frames)
	if code != ExitFail {
		t.Fatalf("exit %d with a damaged frame, want %d", code, ExitFail)
	}
	if !strings.Contains(errOut, "f2.jpg, frame 2: cannot be analysed: damaged jpeg image") || !strings.Contains(errOut, "1 of 1 inputs could not be analysed completely") {
		t.Fatalf("stderr:\n%s", errOut)
	}
	if strings.Count(out, "faces 1, ") != 3 || strings.Contains(out, "All ") {
		t.Fatalf("stdout:\n%s", out)
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("hello, not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.y4m")
	writeY4M(t, good, 5, []footage.Scene{{Kind: footage.Face, Duration: 2 * time.Second}})
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "cut.y4m")
	if err := os.WriteFile(truncated, data[:len(data)-500], 0o644); err != nil {
		t.Fatal(err)
	}
	badHeader := filepath.Join(dir, "bad.y4m")
	if err := os.WriteFile(badHeader, []byte("YUV4MPEG2 W0 H2 F1:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.png")
	// A PNG header announcing 100000x100000 pixels and nothing else.
	ihdr := []byte("IHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00")
	hdr := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
	hdr = binary.BigEndian.AppendUint32(hdr, crc32.ChecksumIEEE(ihdr))
	if err := os.WriteFile(huge, hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, want string
	}{
		{"text file", text, "not a JPEG, PNG or Y4M file"},
		{"empty directory", empty, "no JPEG or PNG frames"},
		{"missing", filepath.Join(dir, "nope.jpg"), "no such file"},
		{"truncated video", truncated, "truncated inside a frame"},
		{"bad header", badHeader, "W0"},
		{"huge image", huge, "image too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.path)
			if code != ExitFail || !strings.Contains(errOut, tc.want) || strings.Contains(out, "All ") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want failure naming %q", code, out, errOut, tc.want)
			}
			code, out, _ = runCmd(t, "--json", tc.path)
			var rep Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitFail || rep.OK || rep.Inputs[0].OK() {
				t.Fatalf("JSON: exit %d, %+v, %v", code, rep, err)
			}
		})
	}
	// A good input next to a bad one: the good one is reported, the exit
	// code still fails.
	code, out, _ := runCmd(t, good, text)
	if code != ExitFail || !strings.Contains(out, "good.y4m: 10 frames analysed") {
		t.Fatalf("mixed inputs: exit %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--bogus", "x"}, {"--fps", "0", "x"}, {"--fov", "500", "x"}} {
		code, _, errOut := runCmd(t, args...)
		if code != ExitUsage || !strings.Contains(errOut, "Usage: kuzet-agent analyze") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	code, out, _ := runCmd(t, "-h")
	if code != ExitOK || !strings.Contains(out, "Usage:") {
		t.Errorf("-h: exit %d %q", code, out)
	}
}

func TestCancelled(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "v.y4m")
	writeY4M(t, video, 5, []footage.Scene{{Kind: footage.Face, Duration: time.Second}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	if code := RunCommand(ctx, []string{video}, &out, &errb, catalogue(t), i18n.RU); code != ExitFail || !strings.Contains(errb.String(), "Анализ прерван") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

// TestJSONHasNoNulls: the --json report writes every list, even an empty
// one, as [] (frames without a face, an input that could not be read, a
// room scan with no events), never null.
func TestJSONHasNoNulls(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "seat.y4m")
	writeY4M(t, video, 5, []footage.Scene{
		{Kind: footage.Empty, Duration: time.Second},
		{Kind: footage.Dark, Duration: time.Second},
		{Kind: footage.Face, Duration: time.Second},
	})
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--json", video},
		{"--json", "--room-scan", video},
		{"--json", text},
		{"--json", filepath.Join(dir, "missing.jpg")},
	} {
		_, out, errOut := runCmd(t, args...)
		nulls, err := nonull.Find([]byte(out))
		if err != nil {
			t.Fatalf("%v: %v\nstdout %s\nstderr %s", args, err, out, errOut)
		}
		if len(nulls) > 0 {
			t.Errorf("%v writes null at %v; lists must be []", args, nulls)
		}
	}
}
