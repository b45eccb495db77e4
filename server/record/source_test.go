package record

import (
	"image"
	"math"
	"sync"
	"testing"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// source makes real media: VP8 from libvpx and Opus from libopus (through
// pion/mediadevices), packetized as a WebRTC sender would.
type source struct {
	fps     int
	venc    codec.ReadCloser
	aenc    codec.ReadCloser
	vpack   rtp.Packetizer
	apack   rtp.Packetizer
	vframe  int
	aframe  int
	mu      sync.Mutex
	keyReqs int
	keys    int
}

func newSource(t testing.TB, w, h, fps int) *source {
	t.Helper()
	s := &source{fps: fps}
	vp, err := vpx.NewVP8Params()
	if err != nil {
		t.Fatal(err)
	}
	vp.BitRate = 400000
	vp.KeyFrameInterval = 100000 // keyframes only when asked (and the first)
	vp.LagInFrames = 0
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	n := 0
	s.venc, err = vp.BuildVideoEncoder(video.ReaderFunc(func() (image.Image, func(), error) {
		// A moving diagonal pattern: every frame differs, so no frame is
		// skipped and the decoder has real work.
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.Y[y*img.YStride+x] = uint8((x + y + 4*n) % 256)
			}
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = uint8(n*3), uint8(255-n*3)
		}
		n++
		return img, func() {}, nil
	}), prop.Media{Video: prop.Video{Width: w, Height: h, FrameRate: float32(fps)}})
	if err != nil {
		t.Fatalf("vp8 encoder: %v", err)
	}
	ap, err := opus.NewParams()
	if err != nil {
		t.Fatal(err)
	}
	ap.BitRate = 32000
	k := 0
	s.aenc, err = ap.BuildAudioEncoder(audio.ReaderFunc(func() (wave.Audio, func(), error) {
		chunk := wave.NewInt16Interleaved(wave.ChunkInfo{Len: 960, Channels: 1, SamplingRate: 48000})
		for i := range chunk.Data {
			chunk.Data[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(k)/48000))
			k++
		}
		return chunk, func() {}, nil
	}), prop.Media{Audio: prop.Audio{SampleRate: 48000, ChannelCount: 1}})
	if err != nil {
		t.Fatalf("opus encoder: %v", err)
	}
	t.Cleanup(func() { s.venc.Close(); s.aenc.Close() })
	s.vpack = rtp.NewPacketizer(1200, 96, 0x1234, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)
	s.apack = rtp.NewPacketizer(1200, 111, 0x5678, &codecs.OpusPayloader{}, rtp.NewRandomSequencer(), 48000)
	return s
}

// requestKeyframe is the recorder's RequestKeyframe: it makes libvpx
// produce a keyframe next, as a PLI would.
func (s *source) requestKeyframe(Kind) {
	s.mu.Lock()
	s.keyReqs++
	s.mu.Unlock()
	if kc, ok := s.venc.Controller().(codec.KeyFrameController); ok {
		_ = kc.ForceKeyFrame()
	}
}

// video encodes the next frame and returns its packets.
func (s *source) video(t testing.TB) []*rtp.Packet {
	t.Helper()
	b, release, err := s.venc.Read()
	if err != nil {
		t.Fatalf("encode frame %d: %v", s.vframe, err)
	}
	defer release()
	s.vframe++
	if len(b) == 0 {
		s.vpack.SkipSamples(uint32(90000 / s.fps))
		return nil
	}
	if key, _, _ := vp8KeyframeInfo(b); key {
		s.mu.Lock()
		s.keys++
		s.mu.Unlock()
	}
	return s.vpack.Packetize(append([]byte(nil), b...), uint32(90000/s.fps))
}

// audio encodes the next 20 ms and returns its packet.
func (s *source) audio(t testing.TB) []*rtp.Packet {
	t.Helper()
	b, release, err := s.aenc.Read()
	if err != nil {
		t.Fatalf("encode audio %d: %v", s.aframe, err)
	}
	defer release()
	s.aframe++
	return s.apack.Packetize(append([]byte(nil), b...), 960)
}
