package kit

import "image"

// DrawTestFrame paints frame n of a moving test pattern into img (4:2:0):
// a diagonal gradient that scrolls, sensor-like noise, and a bright square
// that travels, so consecutive frames differ like camera footage does and
// an encoder has to spend real bits on them.
func DrawTestFrame(img *image.YCbCr, n int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	seed := uint32(n)*2654435761 + 1
	for y := 0; y < h; y++ {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		for x := range row {
			seed = seed*1664525 + 1013904223
			row[x] = uint8((x+y+3*n)&0xff) ^ uint8(seed>>27)
		}
	}
	for y := 0; y < (h+1)/2; y++ {
		for x := 0; x < (w+1)/2; x++ {
			img.Cb[y*img.CStride+x] = uint8(128 + (x-n)%64)
			img.Cr[y*img.CStride+x] = uint8(128 + (y+n)%64)
		}
	}
	size := h / 5
	ox := (n * 7) % (w - size)
	oy := (n * 3) % (h - size)
	for y := oy; y < oy+size; y++ {
		for x := ox; x < ox+size; x++ {
			img.Y[y*img.YStride+x] = 235
		}
	}
}
