package record

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

const crashHelperEnv = "KUZET_RECORD_CRASH_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashHelperEnv); dir != "" {
		os.Exit(crashHelper(dir))
	}
	os.Exit(m.Run())
}

// crashFlush is the helper's FlushInterval: what the recorder took more
// than this long before a SIGKILL is in the file.
const crashFlush = 250 * time.Millisecond

// crashHelper records 10 s of camera and audio into an open 60 s segment,
// waits 4 flush intervals, reports how many video frames went in, and
// waits to be killed.
func crashHelper(dir string) int {
	t := &testing.T{}
	rec, err := New(Config{SegmentDuration: time.Minute, KeyframeInterval: 2 * time.Second, MaxClockDrift: time.Minute, FlushInterval: crashFlush}, dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	src := newSource(t, 320, 240, 15)
	rec.cfg.RequestKeyframe = src.requestKeyframe
	cam, err := rec.AddTrack(KindCamera, CodecVP8)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mic, err := rec.AddTrack(KindAudio, CodecOpus)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	feed(t, src, cam, mic, 10*time.Second, nil)
	rec.mu.Lock()
	n := rec.series[KindCamera].seg.nV
	rec.mu.Unlock()
	// Longer than the flush interval: the bound says all of it is in the
	// file now, bar what ebml-go's block sorter holds back.
	time.Sleep(4 * crashFlush)
	fmt.Printf("written %d\n", n)
	select {} // until SIGKILL
}

// TestKilledWriterLeavesPlayableFile kills a recording process with
// SIGKILL while its segment is open (no Cues, no Duration written) and
// checks that a real decoder still reads the file up to the last cluster,
// and that the kill lost no more than the bound of Config.FlushInterval:
// everything written more than one interval before the kill is there,
// except the at most 16 frames ebml-go's block sorter holds back.
func TestKilledWriterLeavesPlayableFile(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	var written int
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "written %d", &written); err == nil {
			break
		}
	}
	if written < 140 {
		t.Fatalf("helper wrote %d frames, want 150", written)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	files, _ := filepath.Glob(filepath.Join(dir, "camera-*.webm"))
	if len(files) != 1 {
		t.Fatalf("files %v, want the one open segment", files)
	}
	outb, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", files[0], "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg cannot decode the killed writer's file: %v\n%s", err, outb)
	}
	frames := ffprobeFloat(t, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", files[0])
	// ebml-go's block sorter holds back at most 16 frames per track; all
	// the rest must be there and decode.
	if int(frames) < written-16 || int(frames) > written {
		t.Fatalf("decoded %v frames of the %d written before the kill", frames, written)
	}
	t.Logf("killed writer: %d frames written, %v decodable; ffmpeg said %q", written, frames, outb)

	// Seeking without an index still works by scanning.
	pts := ffprobeFloat(t, "-read_intervals", "5%+#1", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", files[0])
	if pts < 3 || pts > 5.5 {
		t.Fatalf("seek to 5 s in the killed file landed at %s s", strconv.FormatFloat(pts, 'f', 2, 64))
	}
}

// TestBufferedWritesReachTheFileByThemselves: a write waits in memory
// (the point of buffering) and reaches the file within FlushInterval with
// no further write or close — so a stream that stops is still on disk
// when the process is killed.
func TestBufferedWritesReachTheFileByThemselves(t *testing.T) {
	open := func(every time.Duration) (*stickyFile, string) {
		path := filepath.Join(t.TempDir(), "f")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		sf := newStickyFile(f, every)
		t.Cleanup(func() { sf.Close() })
		return sf, path
	}
	size := func(path string) int64 {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	slow, path := open(time.Hour)
	slow.Write([]byte("block"))
	if n := size(path); n != 0 {
		t.Fatalf("the write went straight to the file (%d bytes): not buffered", n)
	}
	slow.Close()
	if n := size(path); n != 5 {
		t.Fatalf("closed file holds %d bytes of 5", n)
	}

	quick, path := open(50 * time.Millisecond)
	quick.Write([]byte("block"))
	for deadline := time.Now().Add(time.Minute); size(path) != 5; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a buffered write never reached the file without a further write: no timed flush")
		}
	}
	if err := quick.error(); err != nil {
		t.Fatal(err)
	}
}
