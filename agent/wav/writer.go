package wav

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// headerSize is the size of the header the writer produces: RIFF header,
// a 16-byte fmt chunk and the data chunk header.
const headerSize = 44

// maxDataBytes keeps the RIFF size field (data + 36) within 32 bits.
const maxDataBytes = math.MaxUint32 - (headerSize - 8)

// Writer writes 16-bit PCM samples to a WAV file. It writes the header
// first with zero sizes and fills them in on Close, so the destination must
// be seekable; use Encode to write a whole clip to any io.Writer.
type Writer struct {
	w         io.WriteSeeker
	format    Format
	start     int64 // offset of the header in w
	dataBytes int64
	buf       []byte
	closed    bool
}

// NewWriter writes a WAV header for 16-bit PCM at sampleRate with channels
// (1 or 2) channels at the current position of w, and returns a Writer for
// the samples.
func NewWriter(w io.WriteSeeker, sampleRate, channels int) (*Writer, error) {
	f, err := pcm16(sampleRate, channels)
	if err != nil {
		return nil, err
	}
	start, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("find the WAV header's position: %w", err)
	}
	if _, err := w.Write(header(f, 0)); err != nil {
		return nil, fmt.Errorf("write WAV header: %w", err)
	}
	return &Writer{w: w, format: f, start: start}, nil
}

// Format returns the format being written.
func (w *Writer) Format() Format { return w.format }

// Write appends samples, interleaved by channel, so len(samples) must be a
// multiple of the channel count. Values are clipped to [-1, 1] and NaN is
// written as 0.
func (w *Writer) Write(samples []float32) error {
	if w.closed {
		return ErrClosed
	}
	if len(samples)%w.format.Channels != 0 {
		return fmt.Errorf("%w: %d samples is not a whole number of %d-channel frames", ErrInvalidArgument, len(samples), w.format.Channels)
	}
	if w.dataBytes+2*int64(len(samples)) > maxDataBytes {
		return fmt.Errorf("%w: the WAV file would exceed 4 GiB; start a new file", ErrInvalidArgument)
	}
	w.buf = appendPCM16(w.buf[:0], samples)
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("write WAV samples: %w", err)
	}
	w.dataBytes += int64(len(w.buf))
	return nil
}

// Close fills in the sizes in the header and leaves w positioned after the
// samples. It does not close the underlying file.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	end := w.start + headerSize + w.dataBytes
	if _, err := w.w.Seek(w.start, io.SeekStart); err != nil {
		return fmt.Errorf("seek to the WAV header: %w", err)
	}
	if _, err := w.w.Write(header(w.format, w.dataBytes)); err != nil {
		return fmt.Errorf("rewrite WAV header: %w", err)
	}
	if _, err := w.w.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("seek past the WAV samples: %w", err)
	}
	return nil
}

// Encode writes samples (interleaved by channel) as a complete 16-bit PCM
// WAV file to w.
func Encode(w io.Writer, sampleRate, channels int, samples []float32) error {
	f, err := pcm16(sampleRate, channels)
	if err != nil {
		return err
	}
	if len(samples)%channels != 0 {
		return fmt.Errorf("%w: %d samples is not a whole number of %d-channel frames", ErrInvalidArgument, len(samples), channels)
	}
	n := 2 * int64(len(samples))
	if n > maxDataBytes {
		return fmt.Errorf("%w: %d samples exceed what one WAV file can hold (4 GiB)", ErrInvalidArgument, len(samples))
	}
	b := appendPCM16(header(f, n), samples)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write WAV file: %w", err)
	}
	return nil
}

func pcm16(sampleRate, channels int) (Format, error) {
	if channels != 1 && channels != 2 {
		return Format{}, fmt.Errorf("%w: %d channels; the writer writes mono (1) or stereo (2)", ErrInvalidArgument, channels)
	}
	if sampleRate < 1 || sampleRate > MaxSampleRate {
		return Format{}, fmt.Errorf("%w: sample rate %d Hz is outside 1 … %d Hz", ErrInvalidArgument, sampleRate, MaxSampleRate)
	}
	return Format{Encoding: PCM, Channels: channels, SampleRate: sampleRate, BitsPerSample: 16}, nil
}

// header returns the 44-byte header of a 16-bit PCM file with dataBytes of samples.
func header(f Format, dataBytes int64) []byte {
	b := make([]byte, headerSize, headerSize+4096)
	le := binary.LittleEndian
	copy(b[0:4], "RIFF")
	le.PutUint32(b[4:8], uint32(dataBytes+headerSize-8))
	copy(b[8:16], "WAVEfmt ")
	le.PutUint32(b[16:20], 16)
	le.PutUint16(b[20:22], tagPCM)
	le.PutUint16(b[22:24], uint16(f.Channels))
	le.PutUint32(b[24:28], uint32(f.SampleRate))
	le.PutUint32(b[28:32], uint32(f.SampleRate*f.BlockAlign()))
	le.PutUint16(b[32:34], uint16(f.BlockAlign()))
	le.PutUint16(b[34:36], 16)
	copy(b[36:40], "data")
	le.PutUint32(b[40:44], uint32(dataBytes))
	return b
}

// appendPCM16 appends samples as 16-bit little-endian integers, rounding to
// the nearest step so that what Read decoded from a 16-bit file is written
// back bit for bit.
func appendPCM16(b []byte, samples []float32) []byte {
	for _, s := range samples {
		v := float64(s) * (1 << 15)
		switch {
		case v != v: // NaN
			v = 0
		case v > math.MaxInt16:
			v = math.MaxInt16
		case v < math.MinInt16:
			v = math.MinInt16
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(int16(math.Round(v))))
	}
	return b
}
