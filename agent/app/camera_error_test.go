package app

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
)

// A camera that would not open is worded by why, each with its next step.
func TestCameraErrorKey(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&os.PathError{Op: "open", Path: "/dev/video0", Err: syscall.EBUSY}, "camera.busy"},
		{fmt.Errorf("open camera: %w", &os.PathError{Op: "open", Path: "/dev/video0", Err: syscall.EACCES}), "camera.denied"},
		{fmt.Errorf("wrap: %w", fs.ErrPermission), "camera.denied"},
		{fmt.Errorf("VIDIOC_S_FMT: invalid argument"), "camera.open_failed"},
	} {
		if got := cameraErrorKey(c.err); string(got) != c.want {
			t.Errorf("%v: %s, want %s", c.err, got, c.want)
		}
	}
}
