package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Format tags of the fmt chunk.
const (
	tagPCM        = 0x0001
	tagFloat      = 0x0003
	tagExtensible = 0xFFFE
)

// guidTail returns the part of a KSDATAFORMAT_SUBTYPE_* GUID after its
// first two bytes, which carry the plain format tag (1 PCM, 3 float).
func guidTail() [14]byte {
	return [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}
}

// Reader decodes the samples of one WAV file as they are read.
type Reader struct {
	r         io.Reader
	format    Format
	frames    int64 // frames the data chunk declares
	remaining int64 // data bytes not yet read
	buf       []byte
	err       error // sticky error
}

// NewReader parses the header of the WAV file in r, up to the start of its
// samples, and returns a Reader for them. Chunks other than fmt and data
// (LIST, fact, cue, …) are skipped; anything after the data chunk is never
// read. Errors wrap ErrNotWAV, ErrMalformed, ErrTruncated or ErrUnsupported.
func NewReader(r io.Reader) (*Reader, error) {
	var hdr [12]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		switch {
		case n == 0 && errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: the file is empty", ErrNotWAV)
		case errors.Is(err, io.ErrUnexpectedEOF):
			if !bytes.HasPrefix([]byte("RIFF"), hdr[:min(n, 4)]) {
				return nil, fmt.Errorf("%w: the file does not start with \"RIFF\"", ErrNotWAV)
			}
			return nil, fmt.Errorf("%w: the file ends inside the RIFF header (%d of 12 bytes)", ErrTruncated, n)
		}
		return nil, fmt.Errorf("read RIFF header: %w", err)
	}
	switch id := string(hdr[0:4]); id {
	case "RIFF":
	case "RIFX", "RF64", "BW64":
		return nil, fmt.Errorf("%w: %s container (big-endian or 64-bit RIFF); save the file as a plain little-endian RIFF WAV", ErrUnsupported, id)
	default:
		return nil, fmt.Errorf("%w: the file starts with %q, not \"RIFF\"", ErrNotWAV, printable(hdr[0:4]))
	}
	if form := string(hdr[8:12]); form != "WAVE" {
		return nil, fmt.Errorf("%w: a RIFF file of form %q, not \"WAVE\"", ErrNotWAV, printable(hdr[8:12]))
	}
	riffSize := int64(binary.LittleEndian.Uint32(hdr[4:8]))
	if riffSize < 4 {
		return nil, fmt.Errorf("%w: RIFF size %d is smaller than the \"WAVE\" tag it contains", ErrMalformed, riffSize)
	}
	pos := int64(4) // bytes of the RIFF body consumed, counting "WAVE"

	var (
		format  Format
		haveFmt bool
	)
	for {
		var ch [8]byte
		if n, err := io.ReadFull(r, ch[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				if n == 0 && pos >= riffSize {
					return nil, fmt.Errorf("%w: no data chunk (the file holds no samples)", ErrMalformed)
				}
				return nil, fmt.Errorf("%w: the file ends before its data chunk", ErrTruncated)
			}
			return nil, fmt.Errorf("read chunk header: %w", err)
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		pos += 8
		if pos+size > riffSize {
			return nil, fmt.Errorf("%w: chunk %q of %d bytes at offset %d runs past the end of the RIFF body (%d bytes)", ErrMalformed, printable(ch[0:4]), size, pos+4, riffSize+8)
		}
		switch id {
		case "fmt ":
			if haveFmt {
				return nil, fmt.Errorf("%w: a second fmt chunk", ErrMalformed)
			}
			f, err := readFmt(r, size)
			if err != nil {
				return nil, err
			}
			format, haveFmt = f, true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: the data chunk comes before the fmt chunk", ErrMalformed)
			}
			if size%int64(format.BlockAlign()) != 0 {
				return nil, fmt.Errorf("%w: data chunk of %d bytes is not a whole number of %d-byte frames", ErrMalformed, size, format.BlockAlign())
			}
			return &Reader{
				r:         r,
				format:    format,
				frames:    size / int64(format.BlockAlign()),
				remaining: size,
			}, nil
		default:
			if err := skip(r, size, id); err != nil {
				return nil, err
			}
		}
		pos += size
		if size%2 == 1 { // chunks are padded to an even size
			if pos+1 > riffSize {
				return nil, fmt.Errorf("%w: the pad byte of chunk %q runs past the end of the RIFF body", ErrMalformed, printable(ch[0:4]))
			}
			if err := skip(r, 1, id); err != nil {
				return nil, err
			}
			pos++
		}
	}
}

// readFmt parses a fmt chunk of size bytes.
func readFmt(r io.Reader, size int64) (Format, error) {
	switch size {
	case 16, 18, 40:
	default:
		return Format{}, fmt.Errorf("%w: fmt chunk of %d bytes (expected 16, 18 or 40)", ErrMalformed, size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return Format{}, fmt.Errorf("%w: the file ends inside the fmt chunk", ErrTruncated)
	}
	le := binary.LittleEndian
	tag := le.Uint16(b[0:2])
	f := Format{
		Channels:      int(le.Uint16(b[2:4])),
		SampleRate:    int(le.Uint32(b[4:8])),
		BitsPerSample: int(le.Uint16(b[14:16])),
	}
	byteRate := int64(le.Uint32(b[8:12]))
	blockAlign := int(le.Uint16(b[12:14]))
	if size >= 18 {
		cb := int(le.Uint16(b[16:18]))
		if int64(18+cb) != size {
			return Format{}, fmt.Errorf("%w: fmt extension size %d does not match the %d-byte fmt chunk", ErrMalformed, cb, size)
		}
	}
	switch tag {
	case tagPCM, tagFloat:
		f.Encoding = Encoding(tag)
	case tagExtensible:
		if size != 40 {
			return Format{}, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE needs a 40-byte fmt chunk, not %d", ErrMalformed, size)
		}
		valid := int(le.Uint16(b[18:20]))
		if valid > f.BitsPerSample {
			return Format{}, fmt.Errorf("%w: %d valid bits in a %d-bit sample", ErrMalformed, valid, f.BitsPerSample)
		}
		sub := le.Uint16(b[24:26])
		if tail := guidTail(); !bytes.Equal(b[26:40], tail[:]) || (sub != tagPCM && sub != tagFloat) {
			return Format{}, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE sub-format is not PCM or IEEE float (convert the file to 16-bit PCM)", ErrUnsupported)
		}
		f.Encoding = Encoding(sub)
	default:
		f.Encoding = Encoding(tag)
	}
	if err := f.validate(); err != nil {
		return Format{}, err
	}
	if blockAlign != f.BlockAlign() {
		return Format{}, fmt.Errorf("%w: block align %d, but %d channel(s) of %d bits need %d", ErrMalformed, blockAlign, f.Channels, f.BitsPerSample, f.BlockAlign())
	}
	if want := int64(f.SampleRate) * int64(blockAlign); byteRate != want {
		return Format{}, fmt.Errorf("%w: byte rate %d, but %d Hz × %d bytes per frame is %d", ErrMalformed, byteRate, f.SampleRate, blockAlign, want)
	}
	return f, nil
}

// skip discards n bytes of chunk id.
func skip(r io.Reader, n int64, id string) error {
	got, err := io.CopyN(io.Discard, r, n)
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: the file ends inside chunk %q (%d of %d bytes)", ErrTruncated, printable([]byte(id)), got, n)
	}
	return fmt.Errorf("skip chunk %q: %w", printable([]byte(id)), err)
}

// printable replaces non-printable bytes of a chunk id so errors stay readable.
func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// Format returns the format of the samples.
func (r *Reader) Format() Format { return r.format }

// Frames returns the number of frames (samples per channel) the file declares.
func (r *Reader) Frames() int64 { return r.frames }

// Duration returns the length of the audio the file declares.
func (r *Reader) Duration() time.Duration {
	return time.Duration(float64(r.frames) / float64(r.format.SampleRate) * float64(time.Second))
}

// Read decodes up to len(dst) samples into dst, interleaved by channel, and
// returns how many it decoded; it only decodes whole frames, so n is a
// multiple of the channel count and dst must hold at least one frame. Integer
// samples are scaled to [-1, 1); float samples are returned as stored (they
// may exceed ±1) but NaN and infinities are refused. At the end of the data
// Read returns 0, io.EOF; if the file ends early it returns an error wrapping
// ErrTruncated.
func (r *Reader) Read(dst []float32) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	ch := r.format.Channels
	if len(dst) < ch {
		return 0, fmt.Errorf("%w: Read needs room for at least one frame (%d samples), got %d", ErrInvalidArgument, ch, len(dst))
	}
	if r.remaining == 0 {
		return 0, io.EOF
	}
	bps := r.format.BitsPerSample / 8
	frames := int64(len(dst) / ch)
	if max := r.remaining / int64(r.format.BlockAlign()); frames > max {
		frames = max
	}
	const maxChunk = 1 << 16 // bytes decoded per call, so a huge dst does not mean a huge buffer
	if lim := int64(maxChunk / r.format.BlockAlign()); frames > lim {
		frames = lim
	}
	nb := int(frames) * r.format.BlockAlign()
	if cap(r.buf) < nb {
		r.buf = make([]byte, nb)
	}
	b := r.buf[:nb]
	got, err := io.ReadFull(r.r, b)
	if err != nil {
		whole := got / r.format.BlockAlign()
		done := r.frames - r.remaining/int64(r.format.BlockAlign()) + int64(whole)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			r.err = fmt.Errorf("%w: the data chunk declares %d frames but the file ends after %d (a WAV streamed to a pipe, e.g. by espeak-ng --stdout, has no length: write it to a file instead)", ErrTruncated, r.frames, done)
		} else {
			r.err = fmt.Errorf("read WAV samples: %w", err)
		}
		b = b[:whole*r.format.BlockAlign()]
	}
	n := len(b) / bps
	if derr := r.decode(dst[:n], b); derr != nil {
		r.err = derr
		return 0, derr
	}
	r.remaining -= int64(len(b))
	if n == 0 && r.err != nil {
		return 0, r.err
	}
	return n, nil
}

// decode converts the little-endian samples in b into dst.
func (r *Reader) decode(dst []float32, b []byte) error {
	le := binary.LittleEndian
	switch {
	case r.format.Encoding == Float:
		for i := range dst {
			v := math.Float32frombits(le.Uint32(b[4*i:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				frame := r.frames - r.remaining/int64(r.format.BlockAlign()) + int64(i/r.format.Channels)
				return fmt.Errorf("%w: float sample in frame %d is %v (not a number a microphone can produce)", ErrMalformed, frame, v)
			}
			dst[i] = v
		}
	case r.format.BitsPerSample == 8:
		for i := range dst {
			dst[i] = float32(int(b[i])-128) / 128
		}
	case r.format.BitsPerSample == 16:
		for i := range dst {
			dst[i] = float32(int16(le.Uint16(b[2*i:]))) / (1 << 15)
		}
	case r.format.BitsPerSample == 24:
		for i := range dst {
			p := b[3*i:]
			v := int32(uint32(p[0])<<8|uint32(p[1])<<16|uint32(p[2])<<24) >> 8
			dst[i] = float32(v) / (1 << 23)
		}
	default: // 32-bit PCM
		for i := range dst {
			dst[i] = float32(float64(int32(le.Uint32(b[4*i:]))) / (1 << 31))
		}
	}
	return nil
}

// Audio is a whole decoded file.
type Audio struct {
	// Format is the format the file was stored in.
	Format Format
	// Samples holds every sample, interleaved by channel, scaled as Read does.
	Samples []float32
}

// ReadAll decodes the whole WAV file in r.
func ReadAll(r io.Reader) (*Audio, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	// The declared size is untrusted: grow with what is really there
	// instead of allocating what the header claims.
	want := rd.frames * int64(rd.format.Channels)
	a := &Audio{Format: rd.format, Samples: make([]float32, 0, min(want, 1<<20))}
	buf := make([]float32, 4096*rd.format.Channels)
	for {
		n, err := rd.Read(buf)
		a.Samples = append(a.Samples, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Frames returns the number of frames (samples per channel).
func (a *Audio) Frames() int {
	if a.Format.Channels == 0 {
		return 0
	}
	return len(a.Samples) / a.Format.Channels
}

// Duration returns the length of the audio.
func (a *Audio) Duration() time.Duration {
	if a.Format.SampleRate == 0 {
		return 0
	}
	return time.Duration(float64(a.Frames()) / float64(a.Format.SampleRate) * float64(time.Second))
}

// Mono returns the audio mixed down to one channel (the mean of the
// channels); for mono audio it returns Samples itself.
func (a *Audio) Mono() []float32 {
	ch := a.Format.Channels
	if ch <= 1 {
		return a.Samples
	}
	out := make([]float32, a.Frames())
	for i := range out {
		var s float32
		for c := 0; c < ch; c++ {
			s += a.Samples[i*ch+c]
		}
		out[i] = s / float32(ch)
	}
	return out
}
