package vision

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the analysis and the policy. DefaultConfig holds the defaults
// of the exam policy (issue 4's table); the server's exam policy may change
// the durations. Call Validate before use (NewAnalyzer does).
type Config struct {
	// AnalysisWidth and AnalysisHeight bound the size frames are shrunk to
	// before analysis (aspect kept, never enlarged). 320×240 keeps a face at
	// arm's length 60–150 pixels wide, plenty for the detector.
	AnalysisWidth, AnalysisHeight int

	// MinFaceSize and MaxFaceSize bound the side of a face, in analysis
	// pixels. MaxFaceSize 0 means the frame's shorter side.
	MinFaceSize, MaxFaceSize int
	// FaceQuality is the least detector score (pigo's clustered Q) a face
	// needs to count. Lower finds more faces and more false ones.
	FaceQuality float32
	// ShiftFactor is how far, as a share of its size, the detection window
	// moves per step; ScaleFactor how much it grows per scale.
	ShiftFactor, ScaleFactor float64
	// ClusterIoU is the overlap above which detections are merged into one face.
	ClusterIoU float64
	// FrontalOffset is the largest horizontal offset of the eyes' midpoint
	// from the face's centre, as a share of the face size, for a face to
	// count as frontal (a turned head moves both eyes to one side).
	FrontalOffset float64
	// FrontalEyeSpan is the least distance between the eyes, as a share of
	// the face size, for a frontal face (turning foreshortens it).
	FrontalEyeSpan float64

	// DarkLuma is the mean luma (0–255) below which a frame is dark.
	DarkLuma float64
	// UniformEdge is the mean edge strength (luma steps per pixel at
	// quarter resolution) below which a frame has no edges. Like
	// UniformStdDev it is judged relative to the frame's brightness, as if
	// the mean luma were 128 (at least 48 is assumed), so a dim room keeps
	// its edges.
	UniformEdge float64
	// UniformStdDev is the luma standard deviation below which a frame with
	// no edges counts as uniform (covered by a hand, paper or tape).
	UniformStdDev float64
	// NoiseLevel is the largest luma change of a pixel between consecutive
	// analysed frames that is still sensor noise.
	NoiseLevel int
	// FrozenChanged is the largest share of pixels changing by more than
	// NoiseLevel for two frames to count as the same picture.
	FrozenChanged float64
	// TrackDiff is the largest median colour change (|ΔY|+|ΔCb|+|ΔCr|, 0–765)
	// of the region below the last frontal face (shoulders, chest) for the
	// tracker to say the person is still there, turned away, rather than gone.
	TrackDiff float64

	// CoveredFor is how long a dark or uniform image lasts before rule 10.5
	// is reported (default 2 s).
	CoveredFor time.Duration
	// FrozenFor is how long the image may stay unchanged before rule 10.5
	// is reported (default 10 s).
	FrozenFor time.Duration
	// NoFaceFor is how long no face may be seen before rule 10.3 is
	// reported (default 5 s).
	NoFaceFor time.Duration
	// ManyFacesFrames is how many consecutive analysed frames must show more
	// than one face before rule 10.2 is reported (default 3); as many frames
	// with at most one face end it.
	ManyFacesFrames int
	// AwayFor is how long the face may be present but not frontal before
	// rule 10.4 is reported (default 5 s).
	AwayFor time.Duration
	// ClearFor is how long a condition must be gone before its span ends,
	// so one flicker does not split an event in two (default 1 s).
	ClearFor time.Duration
	// ReferenceWait is how long the watcher waits at the start for a frame
	// with one frontal face to take as the reference snapshot of rule 10.1
	// before taking the current frame anyway (default 30 s).
	ReferenceWait time.Duration
	// SnapshotEvery is the period of face snapshots for rule 10.1 (default
	// 5 minutes); 0 turns them off.
	SnapshotEvery time.Duration
	// SnapshotWidth and SnapshotHeight bound the evidence JPEGs' size.
	SnapshotWidth, SnapshotHeight int
	// SnapshotQuality is the evidence JPEGs' quality (1–100).
	SnapshotQuality int
}

// DefaultConfig returns the defaults of issue 4's table.
func DefaultConfig() Config {
	return Config{
		AnalysisWidth:   320,
		AnalysisHeight:  240,
		MinFaceSize:     40,
		FaceQuality:     6,
		ShiftFactor:     0.15,
		ScaleFactor:     1.2,
		ClusterIoU:      0.2,
		FrontalOffset:   0.1,
		FrontalEyeSpan:  0.22,
		DarkLuma:        28,
		UniformEdge:     1.5,
		UniformStdDev:   12,
		NoiseLevel:      3,
		FrozenChanged:   0.002,
		TrackDiff:       12,
		CoveredFor:      2 * time.Second,
		FrozenFor:       10 * time.Second,
		NoFaceFor:       5 * time.Second,
		ManyFacesFrames: 3,
		AwayFor:         5 * time.Second,
		ClearFor:        time.Second,
		ReferenceWait:   30 * time.Second,
		SnapshotEvery:   5 * time.Minute,
		SnapshotWidth:   320,
		SnapshotHeight:  240,
		SnapshotQuality: 75,
	}
}

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("invalid vision config")

// Validate checks every field and says which one is wrong and what it takes.
func (c *Config) Validate() error {
	bad := func(field, want string, got any) error {
		return fmt.Errorf("%w: %s is %v; %s", ErrConfig, field, got, want)
	}
	switch {
	case c.AnalysisWidth < 64 || c.AnalysisWidth > 1920:
		return bad("AnalysisWidth", "want 64–1920 pixels (320 is usual)", c.AnalysisWidth)
	case c.AnalysisHeight < 48 || c.AnalysisHeight > 1080:
		return bad("AnalysisHeight", "want 48–1080 pixels (240 is usual)", c.AnalysisHeight)
	case c.MinFaceSize < 16:
		return bad("MinFaceSize", "want at least 16 pixels", c.MinFaceSize)
	case c.MaxFaceSize != 0 && c.MaxFaceSize < c.MinFaceSize:
		return bad("MaxFaceSize", "want 0 (the frame) or at least MinFaceSize", c.MaxFaceSize)
	case c.FaceQuality <= 0:
		return bad("FaceQuality", "want a positive score (6 is usual)", c.FaceQuality)
	case c.ShiftFactor <= 0 || c.ShiftFactor > 0.5:
		return bad("ShiftFactor", "want more than 0 and at most 0.5", c.ShiftFactor)
	case c.ScaleFactor <= 1 || c.ScaleFactor > 2:
		return bad("ScaleFactor", "want more than 1 and at most 2", c.ScaleFactor)
	case c.ClusterIoU <= 0 || c.ClusterIoU >= 1:
		return bad("ClusterIoU", "want between 0 and 1", c.ClusterIoU)
	case c.FrontalOffset <= 0 || c.FrontalOffset >= 0.5:
		return bad("FrontalOffset", "want between 0 and 0.5", c.FrontalOffset)
	case c.FrontalEyeSpan < 0 || c.FrontalEyeSpan >= 0.6:
		return bad("FrontalEyeSpan", "want 0 up to 0.6", c.FrontalEyeSpan)
	case c.DarkLuma < 0 || c.DarkLuma > 128:
		return bad("DarkLuma", "want 0–128", c.DarkLuma)
	case c.UniformEdge < 0 || c.UniformEdge > 64:
		return bad("UniformEdge", "want 0–64", c.UniformEdge)
	case c.UniformStdDev < 0 || c.UniformStdDev > 128:
		return bad("UniformStdDev", "want 0–128", c.UniformStdDev)
	case c.NoiseLevel < 0 || c.NoiseLevel > 64:
		return bad("NoiseLevel", "want 0–64", c.NoiseLevel)
	case c.FrozenChanged < 0 || c.FrozenChanged >= 1:
		return bad("FrozenChanged", "want a share from 0 up to 1", c.FrozenChanged)
	case c.TrackDiff < 0 || c.TrackDiff > 255:
		return bad("TrackDiff", "want 0–255 levels", c.TrackDiff)
	case c.CoveredFor < 0 || c.FrozenFor < 0 || c.NoFaceFor < 0 || c.AwayFor < 0 || c.ClearFor < 0 || c.ReferenceWait < 0 || c.SnapshotEvery < 0:
		return fmt.Errorf("%w: durations (CoveredFor, FrozenFor, NoFaceFor, AwayFor, ClearFor, ReferenceWait, SnapshotEvery) must not be negative", ErrConfig)
	case c.ManyFacesFrames < 1:
		return bad("ManyFacesFrames", "want at least 1 frame", c.ManyFacesFrames)
	case c.SnapshotWidth < 32 || c.SnapshotHeight < 24:
		return fmt.Errorf("%w: snapshot size %dx%d; want at least 32x24", ErrConfig, c.SnapshotWidth, c.SnapshotHeight)
	case c.SnapshotQuality < 1 || c.SnapshotQuality > 100:
		return bad("SnapshotQuality", "want 1–100", c.SnapshotQuality)
	}
	return nil
}
