package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chunk returns one RIFF chunk, padded to an even size.
func chunk(id string, body []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// riff wraps chunks in a RIFF/WAVE header with a correct size.
func riff(chunks ...[]byte) []byte {
	body := []byte("WAVE")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return chunk("RIFF", body)
}

// fmtBody returns a 16-byte fmt chunk body with consistent block align and byte rate.
func fmtBody(tag, channels, rate, bits int) []byte {
	b := make([]byte, 16)
	le := binary.LittleEndian
	le.PutUint16(b[0:], uint16(tag))
	le.PutUint16(b[2:], uint16(channels))
	le.PutUint32(b[4:], uint32(rate))
	le.PutUint32(b[8:], uint32(rate*channels*bits/8))
	le.PutUint16(b[12:], uint16(channels*bits/8))
	le.PutUint16(b[14:], uint16(bits))
	return b
}

// extensible returns a 40-byte WAVE_FORMAT_EXTENSIBLE fmt body.
func extensible(sub, channels, rate, bits, valid int) []byte {
	b := fmtBody(tagExtensible, channels, rate, bits)
	le := binary.LittleEndian
	b = le.AppendUint16(b, 22)
	b = le.AppendUint16(b, uint16(valid))
	b = le.AppendUint32(b, 0x4) // front centre
	b = le.AppendUint16(b, uint16(sub))
	tail := guidTail()
	return append(b, tail[:]...)
}

func TestReadFormats(t *testing.T) {
	le := binary.LittleEndian
	pcm16 := func(v ...int16) []byte {
		var b []byte
		for _, x := range v {
			b = le.AppendUint16(b, uint16(x))
		}
		return b
	}
	pcm24 := func(v ...int32) []byte {
		var b []byte
		for _, x := range v {
			b = append(b, byte(x), byte(x>>8), byte(x>>16))
		}
		return b
	}
	pcm32 := func(v ...int32) []byte {
		var b []byte
		for _, x := range v {
			b = le.AppendUint32(b, uint32(x))
		}
		return b
	}
	f32 := func(v ...float32) []byte {
		var b []byte
		for _, x := range v {
			b = le.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	cases := []struct {
		name string
		file []byte
		want Format
		smp  []float32
	}{
		{"8-bit unsigned mono", riff(chunk("fmt ", fmtBody(1, 1, 8000, 8)), chunk("data", []byte{128, 0, 255, 192})),
			Format{PCM, 1, 8000, 8}, []float32{0, -1, 127.0 / 128, 0.5}},
		{"16-bit stereo with LIST before data", riff(chunk("fmt ", fmtBody(1, 2, 44100, 16)), chunk("LIST", []byte("INFOISFT\x03\x00\x00\x00abc\x00")), chunk("data", pcm16(-32768, 16384, 0, 32767))),
			Format{PCM, 2, 44100, 16}, []float32{-1, 0.5, 0, 32767.0 / 32768}},
		{"24-bit mono with odd-sized chunk and pad byte", riff(chunk("junk", []byte{1, 2, 3}), chunk("fmt ", fmtBody(1, 1, 48000, 24)), chunk("data", pcm24(-8388608, 4194304, -1))),
			Format{PCM, 1, 48000, 24}, []float32{-1, 0.5, -1.0 / 8388608}},
		{"32-bit PCM", riff(chunk("fmt ", fmtBody(1, 1, 16000, 32)), chunk("data", pcm32(math.MinInt32, 1<<30))),
			Format{PCM, 1, 16000, 32}, []float32{-1, 0.5}},
		{"32-bit float with fact chunk", riff(chunk("fmt ", fmtBody(3, 1, 22050, 32)), chunk("fact", pcm32(3)), chunk("data", f32(0.25, -0.75, 1.5))),
			Format{Float, 1, 22050, 32}, []float32{0.25, -0.75, 1.5}},
		{"18-byte fmt", riff(chunk("fmt ", append(fmtBody(1, 1, 8000, 16), 0, 0)), chunk("data", pcm16(100))),
			Format{PCM, 1, 8000, 16}, []float32{100.0 / 32768}},
		{"extensible 24-bit in PCM sub-format", riff(chunk("fmt ", extensible(1, 1, 96000, 24, 20)), chunk("data", pcm24(4194304))),
			Format{PCM, 1, 96000, 24}, []float32{0.5}},
		{"extensible float stereo", riff(chunk("fmt ", extensible(3, 2, 48000, 32, 32)), chunk("data", f32(0.5, -0.5))),
			Format{Float, 2, 48000, 32}, []float32{0.5, -0.5}},
		{"empty data chunk", riff(chunk("fmt ", fmtBody(1, 1, 8000, 16)), chunk("data", nil)),
			Format{PCM, 1, 8000, 16}, []float32{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadAll(bytes.NewReader(tc.file))
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if a.Format != tc.want {
				t.Fatalf("format = %v, want %v", a.Format, tc.want)
			}
			if len(a.Samples) != len(tc.smp) {
				t.Fatalf("got %d samples %v, want %v", len(a.Samples), a.Samples, tc.smp)
			}
			for i := range tc.smp {
				if a.Samples[i] != tc.smp[i] {
					t.Errorf("sample %d = %v, want %v", i, a.Samples[i], tc.smp[i])
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	good := riff(chunk("fmt ", fmtBody(1, 1, 8000, 16)), chunk("data", make([]byte, 8)))
	le := binary.LittleEndian
	withFmt := func(b []byte) []byte { return riff(chunk("fmt ", b), chunk("data", make([]byte, 12))) }
	patch := func(b []byte, off int, v uint32) []byte {
		c := bytes.Clone(b)
		le.PutUint32(c[off:], v)
		return c
	}
	nan := le.AppendUint32(nil, math.Float32bits(float32(math.NaN())))
	badGUID := extensible(1, 1, 8000, 16, 16)
	badGUID[30] ^= 0xff
	badAlign := fmtBody(1, 2, 8000, 16)
	le.PutUint16(badAlign[12:], 2)
	badRate := fmtBody(1, 1, 8000, 16)
	le.PutUint32(badRate[8:], 8000)
	cases := []struct {
		name string
		file []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrNotWAV, "empty"},
		{"text file", []byte("hello, this is not audio at all"), ErrNotWAV, `"hell"`},
		{"RIFF but AVI", append([]byte("RIFF\x04\x00\x00\x00AVI "), 0), ErrNotWAV, `form "AVI "`},
		{"big-endian RIFX", append([]byte("RIFX"), good[4:]...), ErrUnsupported, "RIFX"},
		{"RF64", append([]byte("RF64"), good[4:]...), ErrUnsupported, "RF64"},
		{"cut in RIFF header", good[:7], ErrTruncated, "RIFF header"},
		{"cut in fmt", good[:30], ErrTruncated, "fmt chunk"},
		{"cut in data", good[:len(good)-3], ErrTruncated, "declares 4 frames but the file ends after 2"},
		{"no data chunk", riff(chunk("fmt ", fmtBody(1, 1, 8000, 16))), ErrMalformed, "no data chunk"},
		{"data before fmt", riff(chunk("data", make([]byte, 4)), chunk("fmt ", fmtBody(1, 1, 8000, 16))), ErrMalformed, "before the fmt"},
		{"two fmt chunks", riff(chunk("fmt ", fmtBody(1, 1, 8000, 16)), chunk("fmt ", fmtBody(1, 1, 8000, 16)), chunk("data", nil)), ErrMalformed, "second fmt"},
		{"chunk past RIFF end", patch(good, 4, 20), ErrMalformed, "runs past the end"},
		{"fmt of 20 bytes", withFmt(append(fmtBody(1, 1, 8000, 16), 0, 0, 0, 0)), ErrMalformed, "fmt chunk of 20 bytes"},
		{"3 channels", withFmt(fmtBody(1, 3, 8000, 16)), ErrUnsupported, "3 channels"},
		{"0 channels", withFmt(fmtBody(1, 0, 8000, 16)), ErrMalformed, "0 channels"},
		{"12-bit PCM", withFmt(fmtBody(1, 1, 8000, 12)), ErrUnsupported, "12-bit PCM"},
		{"64-bit float", withFmt(fmtBody(3, 1, 8000, 64)), ErrUnsupported, "64-bit float"},
		{"IMA ADPCM", withFmt(fmtBody(0x11, 1, 8000, 4)), ErrUnsupported, "0x0011 is compressed"},
		{"rate zero", withFmt(fmtBody(1, 1, 0, 16)), ErrMalformed, "sample rate 0"},
		{"block align wrong", withFmt(badAlign), ErrMalformed, "block align 2"},
		{"byte rate wrong", withFmt(badRate), ErrMalformed, "byte rate 8000"},
		{"extensible with unknown GUID", withFmt(badGUID), ErrUnsupported, "sub-format"},
		{"odd data size", riff(chunk("fmt ", fmtBody(1, 2, 8000, 16)), chunk("data", make([]byte, 6))), ErrMalformed, "not a whole number"},
		{"NaN float sample", riff(chunk("fmt ", fmtBody(3, 1, 8000, 32)), chunk("data", nan)), ErrMalformed, "NaN"},
		// espeak-ng --stdout writes placeholder sizes because it cannot seek back.
		{"streamed WAV without length", patch(patch(good, 4, 0x7ffff024), 40, 0x7ffff000), ErrTruncated, "write it to a file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadAll(bytes.NewReader(tc.file))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want one wrapping %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

func TestTruncatedDataKeepsWholeFrames(t *testing.T) {
	file := riff(chunk("fmt ", fmtBody(1, 2, 8000, 16)), chunk("data", make([]byte, 400)))
	r, err := NewReader(bytes.NewReader(file[:44+101])) // 25 whole frames and a bit
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, 1000)
	n, err := r.Read(buf)
	if err != nil || n != 50 {
		t.Fatalf("first Read = %d, %v; want the 50 samples that are there", n, err)
	}
	if n, err = r.Read(buf); n != 0 || !errors.Is(err, ErrTruncated) {
		t.Fatalf("second Read = %d, %v; want ErrTruncated", n, err)
	}
	if _, err := r.Read(buf[:1]); !errors.Is(err, ErrTruncated) {
		t.Fatalf("the error is not sticky: %v", err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, ch := range []int{1, 2} {
		in := make([]float32, 2*1000)
		for i := range in {
			in[i] = float32(int16(i*37%65536-32768)) / 32768
		}
		in[0], in[1], in[2] = 1.5, -2, float32(math.NaN()) // clipped, clipped, zero
		var buf bytes.Buffer
		if err := Encode(&buf, 16000, ch, in); err != nil {
			t.Fatal(err)
		}
		a, err := ReadAll(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if a.Format != (Format{PCM, ch, 16000, 16}) || len(a.Samples) != len(in) {
			t.Fatalf("%d ch: read back %v with %d samples", ch, a.Format, len(a.Samples))
		}
		want := append([]float32{32767.0 / 32768, -1, 0}, in[3:]...)
		for i := range want {
			if a.Samples[i] != want[i] {
				t.Fatalf("%d ch: sample %d = %v, want %v", ch, i, a.Samples[i], want[i])
			}
		}
		if got := a.Duration(); got != time.Duration(len(in)/ch)*time.Second/16000 {
			t.Errorf("duration = %v", got)
		}
	}
}

func TestWriterToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	w, err := NewWriter(f, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	var want []float32
	for i := 0; i < 10; i++ {
		chunk := []float32{float32(i) / 16, -float32(i) / 16, 0.25, -0.25}
		want = append(want, chunk...)
		if err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write([]float32{0.1}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("half a stereo frame: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(want[:2]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 44+2*len(want) {
		t.Fatalf("file is %d bytes, want %d", len(raw), 44+2*len(want))
	}
	a, err := ReadAll(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if a.Format.SampleRate != 48000 || a.Format.Channels != 2 || len(a.Samples) != len(want) {
		t.Fatalf("read back %v, %d samples", a.Format, len(a.Samples))
	}
	for i := range want {
		if a.Samples[i] != want[i] {
			t.Fatalf("sample %d = %v, want %v", i, a.Samples[i], want[i])
		}
	}
	mono := a.Mono()
	if len(mono) != 20 || mono[2] != 0 || mono[3] != 0 {
		t.Fatalf("Mono = %v", mono)
	}
}

func TestWriterRejectsBadArguments(t *testing.T) {
	var buf bytes.Buffer
	for _, tc := range []struct{ rate, ch int }{{16000, 0}, {16000, 3}, {0, 1}, {MaxSampleRate + 1, 1}} {
		if err := Encode(&buf, tc.rate, tc.ch, nil); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Encode(rate %d, %d channels) = %v, want ErrInvalidArgument", tc.rate, tc.ch, err)
		}
	}
	if err := Encode(&buf, 8000, 2, []float32{1, 2, 3}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("odd stereo sample count accepted: %v", err)
	}
}

// TestReadEspeak reads a file written by a real program, not by this package.
func TestReadEspeak(t *testing.T) {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng is not installed (Debian package espeak-ng); cannot check a real program's WAV output")
	}
	path := filepath.Join(t.TempDir(), "kk.wav")
	if out, err := exec.Command(bin, "-v", "kk", "-w", path, "Сәлеметсіз бе").CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := ReadAll(f)
	if err != nil {
		t.Fatalf("reading espeak-ng's WAV: %v", err)
	}
	if a.Format.Encoding != PCM || a.Format.Channels != 1 || a.Duration() < 300*time.Millisecond {
		t.Fatalf("espeak-ng WAV read as %v, %v", a.Format, a.Duration())
	}
	var peak float32
	for _, s := range a.Samples {
		peak = max(peak, s, -s)
	}
	if peak < 0.05 {
		t.Fatalf("speech decoded with peak %v: the samples are not being decoded", peak)
	}
}

func FuzzReadAll(f *testing.F) {
	f.Add(riff(chunk("fmt ", fmtBody(1, 1, 8000, 16)), chunk("data", []byte{1, 2, 3, 4})))
	f.Add(riff(chunk("fmt ", fmtBody(1, 2, 44100, 24)), chunk("LIST", []byte("abc")), chunk("data", make([]byte, 12))))
	f.Add(riff(chunk("fmt ", fmtBody(3, 1, 8000, 32)), chunk("data", []byte{0, 0, 0x80, 0x3f})))
	f.Add(riff(chunk("fmt ", extensible(1, 2, 48000, 32, 24)), chunk("data", make([]byte, 16))))
	f.Add(riff(chunk("fmt ", fmtBody(1, 1, 8000, 8)), chunk("data", []byte{0, 255})))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadAll(bytes.NewReader(data))
		if err != nil {
			for _, known := range []error{ErrNotWAV, ErrMalformed, ErrTruncated, ErrUnsupported} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("error %v wraps none of the package's sentinel errors", err)
		}
		if err := a.Format.validate(); err != nil {
			t.Fatalf("accepted a format it should refuse: %v", err)
		}
		if len(a.Samples)%a.Format.Channels != 0 {
			t.Fatalf("%d samples for %d channels", len(a.Samples), a.Format.Channels)
		}
		if need := len(a.Samples) * a.Format.BitsPerSample / 8; need > len(data) {
			t.Fatalf("decoded %d bytes of samples from a %d-byte file", need, len(data))
		}
		for i, s := range a.Samples {
			if s != s || (a.Format.Encoding == PCM && (s < -1 || s >= 1)) {
				t.Fatalf("sample %d = %v out of range for %v", i, s, a.Format)
			}
		}
		// What was read must survive a write and a second read.
		var buf bytes.Buffer
		if err := Encode(&buf, a.Format.SampleRate, a.Format.Channels, a.Samples); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		b, err := ReadAll(&buf)
		if err != nil || len(b.Samples) != len(a.Samples) {
			t.Fatalf("re-read: %v, %d of %d samples", err, len(b.Samples), len(a.Samples))
		}
	})
}

// Make sure the reader never reads past the data chunk: the rest of a stream
// belongs to the caller.
func TestReaderStopsAtDataEnd(t *testing.T) {
	file := append(riff(chunk("fmt ", fmtBody(1, 1, 8000, 16)), chunk("data", make([]byte, 4))), "TAIL"...)
	// The RIFF size covers only the WAVE part; TAIL is trailing data.
	br := bytes.NewReader(file)
	a, err := ReadAll(br)
	if err != nil || len(a.Samples) != 2 {
		t.Fatalf("ReadAll = %v, %v", a, err)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "TAIL" {
		t.Fatalf("reader consumed past the data chunk; left %q", rest)
	}
}
