package y4m

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"io"
	"strings"
	"testing"
)

func testFrame(w, h int, seed byte) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = byte(i*7) + seed
	}
	for i := range img.Cb {
		img.Cb[i] = byte(i*3) + seed
		img.Cr[i] = byte(i*5) - seed
	}
	return img
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		cs   Colorspace
	}{
		{"420jpeg even", 8, 6, C420jpeg},
		{"420 odd size", 5, 3, C420},
		{"420mpeg2", 16, 2, C420mpeg2},
		{"mono", 7, 9, CMono},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, Header{Width: tc.w, Height: tc.h, FrameRate: Rational{15, 1}, Interlace: 'p', Colorspace: tc.cs, Comments: []string{"kuzet=test"}})
			if err != nil {
				t.Fatal(err)
			}
			frames := []*image.YCbCr{testFrame(tc.w, tc.h, 1), testFrame(tc.w, tc.h, 99)}
			for _, f := range frames {
				if err := w.WriteFrame(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			h := r.Header()
			if h.Width != tc.w || h.Height != tc.h || h.FrameRate != (Rational{15, 1}) || h.Colorspace != tc.cs || len(h.Comments) != 1 || h.Comments[0] != "kuzet=test" {
				t.Fatalf("header = %+v", h)
			}
			for i, want := range frames {
				got, err := r.Next()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if !bytes.Equal(got.Y, want.Y) {
					t.Fatalf("frame %d: luma differs", i)
				}
				if tc.cs == CMono {
					if got.Cb[0] != 128 || got.Cr[len(got.Cr)-1] != 128 {
						t.Fatalf("mono chroma not neutral")
					}
				} else if !bytes.Equal(got.Cb, want.Cb) || !bytes.Equal(got.Cr, want.Cr) {
					t.Fatalf("frame %d: chroma differs", i)
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
			if r.Frames() != 2 {
				t.Fatalf("Frames = %d", r.Frames())
			}
		})
	}
}

func TestWriterConvertsAndHandlesSubImages(t *testing.T) {
	big := testFrame(20, 20, 3)
	sub := big.SubImage(image.Rect(3, 5, 11, 11)).(*image.YCbCr) // odd origin, parent's strides
	rgba := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for i := range rgba.Pix {
		rgba.Pix[i] = 200
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Width: 8, Height: 6, FrameRate: Rational{30000, 1001}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(sub); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(rgba); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(image.NewGray(image.Rect(0, 0, 4, 4))); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("wrong-size frame: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 6; y++ {
		for x := 0; x < 8; x++ {
			if got.YCbCrAt(x, y).Y != sub.YCbCrAt(3+x, 5+y).Y {
				t.Fatalf("sub-image luma at %d,%d differs", x, y)
			}
		}
	}
	got, err = r.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := color.YCbCrModel.Convert(color.RGBA{200, 200, 200, 200}).(color.YCbCr)
	if c := got.YCbCrAt(3, 3); c.Y != want.Y || c.Cb != want.Cb {
		t.Fatalf("converted pixel = %v, want %v", c, want)
	}
}

func TestReaderRejects(t *testing.T) {
	frame := "FRAME\n" + strings.Repeat("\x10", 4*2+2*2*1)
	cases := []struct {
		name, in string
		want     error
		text     string
	}{
		{"empty", "", ErrNotY4M, "empty"},
		{"png", "\x89PNG\r\n\x1a\n....", ErrNotY4M, "must start"},
		{"no space", "YUV4MPEG2W4 H2 F1:1\n", ErrNotY4M, "must start"},
		{"no width", "YUV4MPEG2 H2 F1:1\n", ErrHeader, "W width"},
		{"no rate", "YUV4MPEG2 W4 H2\n", ErrHeader, "F is missing"},
		{"zero width", "YUV4MPEG2 W0 H2 F1:1\n", ErrHeader, "W0"},
		{"negative", "YUV4MPEG2 W-4 H2 F1:1\n", ErrHeader, "W-4"},
		{"huge", "YUV4MPEG2 W99999 H2 F1:1\n", ErrTooLarge, "W99999"},
		{"too many pixels", "YUV4MPEG2 W8192 H8192 F1:1\n", ErrTooLarge, "8192x8192"},
		{"zero rate", "YUV4MPEG2 W4 H2 F0:1\n", ErrHeader, "positive"},
		{"bad rate", "YUV4MPEG2 W4 H2 F30\n", ErrHeader, "num:den"},
		{"10-bit", "YUV4MPEG2 W4 H2 F1:1 C420p10\n", ErrUnsupported, "8 bits"},
		{"unknown colour", "YUV4MPEG2 W4 H2 F1:1 Cxyz\n", ErrUnsupported, "Cxyz"},
		{"unknown tag", "YUV4MPEG2 W4 H2 F1:1 Z9\n", ErrHeader, "unknown parameter"},
		{"twice", "YUV4MPEG2 W4 W4 H2 F1:1\n", ErrHeader, "twice"},
		{"double space", "YUV4MPEG2 W4  H2 F1:1\n", ErrHeader, "two spaces"},
		{"bad interlace", "YUV4MPEG2 W4 H2 F1:1 Ix\n", ErrHeader, "interlace"},
		{"no newline", "YUV4MPEG2 W4 H2 F1:1", ErrHeader, "no newline"},
		{"long header", "YUV4MPEG2 " + strings.Repeat("X", 5000) + "\n", ErrHeader, "longer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.in))
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("NewReader error = %v, want %v containing %q", err, tc.want, tc.text)
			}
		})
	}
	frameCases := []struct {
		name, in string
		want     error
	}{
		{"truncated planes", "YUV4MPEG2 W4 H2 F1:1\n" + frame[:10], ErrTruncated},
		{"cut FRAME line", "YUV4MPEG2 W4 H2 F1:1\nFRA", ErrTruncated},
		{"garbage instead of FRAME", "YUV4MPEG2 W4 H2 F1:1\nFRAMES\n", ErrFrameHeader},
		{"second frame bad", "YUV4MPEG2 W4 H2 F1:1\n" + frame + "FRAMX\n", ErrFrameHeader},
	}
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err = r.Next(); err != nil {
					break
				}
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Next error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFrameParametersAccepted(t *testing.T) {
	in := "YUV4MPEG2 W2 H2 F25:1 A1:1 Ip C420jpeg XYSCSS=420JPEG\nFRAME Ixyz\n" + "\x01\x02\x03\x04\x05\x06"
	r, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	img, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if img.Y[3] != 4 || img.Cb[0] != 5 || img.Cr[0] != 6 {
		t.Fatalf("planes = %v %v %v", img.Y, img.Cb, img.Cr)
	}
}

func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Header{Width: 3, Height: 3, FrameRate: Rational{1, 1}})
	_ = w.WriteFrame(testFrame(3, 3, 0))
	_ = w.Flush()
	f.Add(buf.Bytes())
	f.Add([]byte("YUV4MPEG2 W2 H2 F25:1 C444\nFRAME\n123456789012"))
	f.Add([]byte("YUV4MPEG2 W2 H2 F25:1 Cmono\nFRAME\n1234"))
	f.Add([]byte("YUV4MPEG2 W2 H2 F25:1 C422\nFRAME\n12345678"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		h := r.Header()
		size, err := h.FrameSize()
		if err != nil || size <= 0 {
			t.Fatalf("accepted header %+v has no frame size: %v", h, err)
		}
		for range 4 {
			img, err := r.Next()
			if err != nil {
				return
			}
			if img.Rect.Dx() != h.Width || img.Rect.Dy() != h.Height {
				t.Fatalf("frame %v, header %dx%d", img.Rect, h.Width, h.Height)
			}
		}
	})
}
