// Package wav reads and writes RIFF/WAVE audio files.
//
// The reader is strict, because the files it reads are untrusted input (a
// microphone recording handed to the agent, a test fixture): it accepts
// integer PCM of 8, 16, 24 or 32 bits and IEEE float of 32 bits, mono or
// stereo, at any sample rate from 1 Hz to MaxSampleRate, in plain or
// WAVE_FORMAT_EXTENSIBLE headers, and refuses anything else with an error
// that names what is wrong and what to do. It streams: the header is parsed
// by NewReader and samples are decoded as they are read, as float32 in
// [-1, 1), interleaved by channel.
//
// The writer produces 16-bit PCM, the format every player and every tool
// (espeak-ng, sox, ffmpeg, browsers) reads.
package wav

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them, so
// callers can tell a damaged file from one in a format not supported here.
var (
	// ErrNotWAV: the data does not start with a RIFF/WAVE header.
	ErrNotWAV = errors.New("not a RIFF/WAVE file")
	// ErrMalformed: the RIFF structure is inconsistent (chunk sizes, a
	// missing or repeated chunk, header fields that contradict each other).
	ErrMalformed = errors.New("malformed WAV file")
	// ErrTruncated: the file ends before a chunk it declares.
	ErrTruncated = errors.New("truncated WAV file")
	// ErrUnsupported: a valid WAV file in a format this package does not
	// decode (compressed audio, more than two channels, 64-bit float, …).
	ErrUnsupported = errors.New("unsupported WAV format")
	// ErrInvalidArgument: a caller passed a value the writer cannot use.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrClosed: the writer was used after Close.
	ErrClosed = errors.New("wav writer is closed")
)

// MaxSampleRate is the highest sample rate accepted, in Hz. Real audio
// interfaces stop at 768 kHz; anything above is a damaged header.
const MaxSampleRate = 768000

// Encoding is how samples are stored.
type Encoding int

// Encodings this package decodes.
const (
	// PCM is signed integer samples (unsigned for 8 bits), little-endian.
	PCM Encoding = 1
	// Float is IEEE 754 binary32 samples, little-endian.
	Float Encoding = 3
)

// String names the encoding as a person would.
func (e Encoding) String() string {
	switch e {
	case PCM:
		return "PCM"
	case Float:
		return "float"
	}
	return fmt.Sprintf("encoding(%d)", int(e))
}

// Format describes the audio in a WAV file.
type Format struct {
	// Encoding is PCM or Float.
	Encoding Encoding
	// Channels is 1 (mono) or 2 (stereo).
	Channels int
	// SampleRate is in frames per second.
	SampleRate int
	// BitsPerSample is the container size of one sample: 8, 16, 24 or 32.
	BitsPerSample int
}

// BlockAlign is the size in bytes of one frame (one sample per channel).
func (f Format) BlockAlign() int { return f.Channels * f.BitsPerSample / 8 }

// String describes the format, e.g. "16-bit PCM, 2 channels, 44100 Hz".
func (f Format) String() string {
	return fmt.Sprintf("%d-bit %s, %d channel(s), %d Hz", f.BitsPerSample, f.Encoding, f.Channels, f.SampleRate)
}

// validate checks that the reader can decode f.
func (f Format) validate() error {
	switch {
	case f.Channels < 1:
		return fmt.Errorf("%w: the header declares %d channels", ErrMalformed, f.Channels)
	case f.Channels > 2:
		return fmt.Errorf("%w: %d channels; only mono and stereo are read (mix the file down to stereo or mono first)", ErrUnsupported, f.Channels)
	case f.SampleRate < 1 || f.SampleRate > MaxSampleRate:
		return fmt.Errorf("%w: sample rate %d Hz is outside 1 … %d Hz", ErrMalformed, f.SampleRate, MaxSampleRate)
	}
	switch f.Encoding {
	case PCM:
		switch f.BitsPerSample {
		case 8, 16, 24, 32:
			return nil
		}
		return fmt.Errorf("%w: %d-bit PCM; only 8, 16, 24 and 32-bit PCM are read (convert the file to 16-bit PCM)", ErrUnsupported, f.BitsPerSample)
	case Float:
		if f.BitsPerSample == 32 {
			return nil
		}
		return fmt.Errorf("%w: %d-bit float; only 32-bit float is read (convert the file to 32-bit float or 16-bit PCM)", ErrUnsupported, f.BitsPerSample)
	}
	return fmt.Errorf("%w: format tag %#04x is compressed or unknown; only PCM (1) and IEEE float (3) are read (convert the file to 16-bit PCM)", ErrUnsupported, int(f.Encoding))
}
