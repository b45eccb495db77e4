package mic

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/probe/probetest"
	"kuzet.kz/kuzet/agent/vad"
	"kuzet.kz/kuzet/agent/wav"
)

func rmsDB(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return 10 * math.Log10(s/float64(len(x))+1e-20)
}

// A real PulseAudio daemon with a pipe source as the default microphone:
// what is written into the pipe comes out of OpenDevice, through libpulse
// and miniaudio, as a candidate's microphone would.
func TestDeviceCapturesFromPulseAudio(t *testing.T) {
	p := probetest.PulseAudio(t)
	fifo := filepath.Join(p.Dir, "mic.fifo")
	if _, err := p.Pactl("load-module", "module-pipe-source", "source_name=kmic", "file="+fifo,
		"format=float32le", "rate=48000", "channels=1"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Pactl("set-default-source", "kmic"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", p.Dir)
	t.Setenv("HOME", p.Dir)
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(p.Dir, "pulse", "native"))

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // a 440 Hz tone at −15 dBFS RMS, written in real time
		defer close(done)
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Errorf("open fifo: %v", err)
			return
		}
		defer f.Close()
		buf := make([]byte, 4*ChunkSamples)
		n := 0
		tick := time.NewTicker(ChunkDuration)
		defer tick.Stop()
		for {
			for i := 0; i < ChunkSamples; i++ {
				v := float32(0.25 * math.Sqrt2 * math.Sin(2*math.Pi*440*float64(n)/Rate))
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
				n++
			}
			if _, err := f.Write(buf); err != nil && !errors.Is(err, syscall.EAGAIN) {
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); <-done }()

	d, err := OpenDevice()
	if err != nil {
		t.Fatalf("OpenDevice with PulseAudio running: %v", err)
	}
	defer d.Close()
	loud := 0
	var last time.Time
	for i := 0; i < 100; i++ {
		x, at, err := d.Read()
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if len(x) != ChunkSamples {
			t.Fatalf("chunk of %d samples", len(x))
		}
		if !last.IsZero() && at.Before(last) {
			t.Fatalf("capture time went back: %v after %v", at, last)
		}
		last = at
		if db := rmsDB(x); db > -18 && db < -12 {
			loud++
		}
	}
	if loud < 30 {
		t.Fatalf("only %d of 100 chunks carried the −15 dBFS tone", loud)
	}
}

func TestNoSoundServerIsNoMicrophone(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	t.Setenv("HOME", dir)
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(dir, "nothing"))
	if _, err := os.Stat("/dev/snd"); err == nil {
		t.Skip("could not check: this machine has ALSA sound cards, so a microphone may exist without PulseAudio")
	}
	d, err := OpenDevice()
	if err == nil {
		d.Close()
		t.Fatal("OpenDevice found a microphone on a machine with no sound server and no sound card")
	}
	if !errors.Is(err, ErrNoMicrophone) {
		t.Fatalf("error %v is not ErrNoMicrophone", err)
	}
}

func TestFileSourceLoopsAtRealTimeAndResamples(t *testing.T) {
	// One second of 16 kHz speech-band tone, written as a WAV file.
	const in = 16000
	samples := make([]float32, in)
	for i := range samples {
		samples[i] = float32(0.5 * math.Sin(2*math.Pi*300*float64(i)/in))
	}
	path := filepath.Join(t.TempDir(), "speech.wav")
	f, _ := os.Create(path)
	if err := wav.Encode(f, in, 1, samples); err != nil {
		t.Fatal(err)
	}
	f.Close()
	src, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got := len(src.samples); got < Rate*99/100 || got > Rate*101/100 {
		t.Fatalf("1 s at 16 kHz became %d samples at 48 kHz", got)
	}
	start := time.Now()
	var n int
	for n < 60 { // 1.2 s: past the end, so it loops
		x, _, err := src.Read()
		if err != nil {
			t.Fatal(err)
		}
		if db := rmsDB(x); db < -12 || db > -6 {
			t.Fatalf("chunk %d at %.1f dBFS, want about −9", n, db)
		}
		n++
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("60 chunks (1.2 s of audio) came in %v: not paced in real time", el)
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing.wav")); err == nil {
		t.Fatal("a missing file opened")
	}
}

func TestSyntheticRoomIsQuietButNotSilentAndNeverSpeech(t *testing.T) {
	s := NewSynthetic()
	defer s.Close()
	det, err := vad.New(vad.Config{SampleRate: Rate})
	if err != nil {
		t.Fatal(err)
	}
	speech := 0
	for i := 0; i < 150; i++ {
		x, _, _ := s.Read()
		if db := rmsDB(x); db < -80 || db > -40 {
			t.Fatalf("room tone at %.1f dBFS", db)
		}
		for _, f := range det.Process(x) {
			if f.Speech {
				speech++
			}
		}
	}
	if speech > 0 {
		t.Fatalf("the synthetic room contains %d speech frames", speech)
	}
	s.SetMuted(true)
	x, _, _ := s.Read()
	if rmsDB(x) > -150 {
		t.Fatal("muted room is not digital silence")
	}
}
