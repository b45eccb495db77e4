package vision

import (
	"image"
	"strconv"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Subjects of the camera events, stable from start to end.
const (
	SubjectCovered   = "camera.covered" // rule 10.5, dark or uniform image
	SubjectFrozen    = "camera.frozen"  // rule 10.5, picture not changing
	SubjectFace      = "face"           // rule 10.3, no face
	SubjectPersons   = "persons"        // rule 10.2, more than one face
	SubjectGaze      = "face.away"      // rule 10.4, face not frontal
	SubjectReference = "face.reference" // rule 10.1, reference snapshot
	SubjectPeriodic  = "face.snapshot"  // rule 10.1, periodic snapshot
	SubjectIDPhoto   = "id.photo"       // rule 10.1, ID document
	SubjectVirtual   = "camera.virtual" // rule 10.1, virtual camera
)

// Watcher applies the exam policy to observations over time and returns the
// camera rule events (10.1–10.5) with hysteresis. It is not safe for
// concurrent use; feed it from the goroutine that runs the Analyzer.
type Watcher struct {
	cfg Config

	started   time.Time
	haveStart bool
	reference bool
	lastSnap  time.Time

	covered finding.Debounce
	frozen  finding.Debounce
	noFace  finding.Debounce
	away    finding.Debounce

	faceRun    int  // consecutive frames with a face
	frontalRun int  // consecutive frames with a frontal candidate's face
	many       bool // span of rule 10.2 open
	manyRun    int  // consecutive frames against the current state
	manyRunAt  time.Time
	manyMax    int
}

// NewWatcher makes a watcher with cfg's policy. cfg should have passed
// Validate (NewAnalyzer checks the same Config).
func NewWatcher(cfg Config) *Watcher {
	return &Watcher{
		cfg:     cfg,
		covered: finding.Debounce{On: cfg.CoveredFor, Off: cfg.ClearFor},
		frozen:  finding.Debounce{On: cfg.FrozenFor, Off: cfg.ClearFor},
		noFace:  finding.Debounce{On: cfg.NoFaceFor, Off: cfg.ClearFor},
		away:    finding.Debounce{On: cfg.AwayFor, Off: cfg.ClearFor},
	}
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// Update feeds the observation of the frame img taken at now and returns the
// transitions it causes. Calls must come in time order. img is used only to
// make the JPEG evidence of starts and snapshots.
//
// While the image is covered (dark or uniform) nothing is known about faces,
// so the face rules hold their state rather than report a missing face:
// covering the camera is rule 10.5, not 10.3.
func (w *Watcher) Update(now time.Time, img image.Image, obs Observation) []finding.Transition {
	var out []finding.Transition
	if !w.haveStart {
		w.started, w.haveStart, w.lastSnap = now, true, now
	}
	out = w.identity(now, img, obs, out)

	// Rule 10.5: covered (dark or uniform) and frozen.
	covered := obs.Dark || obs.Uniform
	if st, en, at := w.covered.Update(now, covered); st {
		key := i18n.Key("vision.covered.uniform")
		if obs.Dark {
			key = i18n.Key("vision.covered.dark")
		}
		out = append(out, w.start(protocol.Rule10_5, SubjectCovered, at, protocol.SeverityViolation, key,
			i18n.Args{"seconds": seconds(w.cfg.CoveredFor)}, img))
	} else if en {
		out = append(out, w.end(protocol.Rule10_5, SubjectCovered, at, protocol.SeverityViolation, i18n.Key("vision.covered.end")))
	}
	frozen := obs.HasPrevious && obs.Frozen && !covered
	if st, en, at := w.frozen.Update(now, frozen); st {
		out = append(out, w.start(protocol.Rule10_5, SubjectFrozen, at, protocol.SeveritySuspected, i18n.Key("vision.frozen"),
			i18n.Args{"seconds": seconds(w.cfg.FrozenFor)}, img))
	} else if en {
		out = append(out, w.end(protocol.Rule10_5, SubjectFrozen, at, protocol.SeveritySuspected, i18n.Key("vision.frozen.end")))
	}
	if covered {
		return out
	}

	// A face must be seen in two analysed frames in a row to interrupt a
	// missing or turned face: a single false detection (the detector's rate
	// is up to 2 % of frames) would otherwise restart the grace period.
	if len(obs.Faces) > 0 {
		w.faceRun++
	} else {
		w.faceRun = 0
	}
	if len(obs.Faces) > 0 && obs.Faces[0].Frontal {
		w.frontalRun++
	} else {
		w.frontalRun = 0
	}

	// Rule 10.3: nobody in the seat (no face, and the tracker does not see
	// the person turned away either).
	absent := w.faceRun < 2 && !obs.Tracked
	if st, en, at := w.noFace.Update(now, absent); st {
		out = append(out, w.start(protocol.Rule10_3, SubjectFace, at, protocol.SeverityViolation, i18n.Key("vision.noface"),
			i18n.Args{"seconds": seconds(w.cfg.NoFaceFor)}, img))
	} else if en {
		out = append(out, w.end(protocol.Rule10_3, SubjectFace, at, protocol.SeverityViolation, i18n.Key("vision.noface.end")))
	}

	// Rule 10.4: someone is in the seat but the candidate's face is not
	// frontal, or only the tracker still sees them.
	turned := w.frontalRun < 2 && ((len(obs.Faces) > 0 && obs.Faces[0].PoseChecked) || obs.Tracked)
	if st, en, at := w.away.Update(now, turned); st {
		out = append(out, w.start(protocol.Rule10_4, SubjectGaze, at, protocol.SeveritySuspected, i18n.Key("vision.away"),
			i18n.Args{"seconds": seconds(w.cfg.AwayFor)}, img))
	} else if en {
		out = append(out, w.end(protocol.Rule10_4, SubjectGaze, at, protocol.SeveritySuspected, i18n.Key("vision.away.end")))
	}

	// Rule 10.2: more than one face in ManyFacesFrames consecutive frames.
	more := len(obs.Faces) > 1
	if more != w.many {
		if w.manyRun == 0 {
			w.manyRunAt = now
			w.manyMax = 0
		}
		w.manyRun++
		w.manyMax = max(w.manyMax, len(obs.Faces))
		if w.manyRun >= w.cfg.ManyFacesFrames {
			w.many, w.manyRun = more, 0
			if more {
				out = append(out, w.start(protocol.Rule10_2, SubjectPersons, w.manyRunAt, protocol.SeverityViolation, i18n.Key("vision.persons"),
					i18n.Args{"count": strconv.Itoa(w.manyMax), "frames": strconv.Itoa(w.cfg.ManyFacesFrames)}, img))
			} else {
				out = append(out, w.end(protocol.Rule10_2, SubjectPersons, w.manyRunAt, protocol.SeverityViolation, i18n.Key("vision.persons.end")))
			}
		}
	} else {
		w.manyRun = 0
	}
	return out
}

// identity takes the reference snapshot and the periodic snapshots of rule
// 10.1.
func (w *Watcher) identity(now time.Time, img image.Image, obs Observation, out []finding.Transition) []finding.Transition {
	one := len(obs.Faces) == 1 && obs.Faces[0].Frontal && !obs.Dark && !obs.Uniform
	if !w.reference {
		waited := now.Sub(w.started) >= w.cfg.ReferenceWait
		if one || waited {
			w.reference, w.lastSnap = true, now
			key, sev := i18n.Key("vision.reference"), protocol.SeverityInfo
			if !one {
				key, sev = i18n.Key("vision.reference.noface"), protocol.SeveritySuspected
			}
			out = append(out, finding.Transition{
				Rule: protocol.Rule10_1, Subject: SubjectReference, Kind: protocol.KindInstant, At: now,
				Severity: sev, Key: key, Args: i18n.Args{"faces": strconv.Itoa(len(obs.Faces))},
				Evidence: w.evidence(img, protocol.EvidenceReference),
			})
		}
		return out
	}
	if w.cfg.SnapshotEvery > 0 && now.Sub(w.lastSnap) >= w.cfg.SnapshotEvery {
		w.lastSnap = now
		out = append(out, finding.Transition{
			Rule: protocol.Rule10_1, Subject: SubjectPeriodic, Kind: protocol.KindInstant, At: now,
			Severity: protocol.SeverityInfo, Key: i18n.Key("vision.snapshot"),
			Args:     i18n.Args{"faces": strconv.Itoa(len(obs.Faces))},
			Evidence: w.evidence(img, protocol.EvidenceSnapshot),
		})
	}
	return out
}

// IDPhoto returns the rule 10.1 event carrying the photo of the candidate's
// identity document, taken when the candidate holds it up at the start of
// the stage, for the proctor's side-by-side check with the reference.
func (w *Watcher) IDPhoto(now time.Time, img image.Image) (finding.Transition, error) {
	data, err := Snapshot(img, 2*w.cfg.SnapshotWidth, 2*w.cfg.SnapshotHeight, w.cfg.SnapshotQuality)
	if err != nil {
		return finding.Transition{}, err
	}
	return finding.Transition{
		Rule: protocol.Rule10_1, Subject: SubjectIDPhoto, Kind: protocol.KindInstant, At: now,
		Severity: protocol.SeverityInfo, Key: i18n.Key("vision.idphoto"),
		Evidence: []finding.Evidence{{Kind: protocol.EvidenceIDPhoto, MIME: "image/jpeg", Data: data}},
	}, nil
}

// Open lists the subjects of the spans open now, e.g. for a report that
// ends before they do.
func (w *Watcher) Open() []string {
	var out []string
	for _, d := range []struct {
		on      bool
		subject string
	}{
		{w.covered.Active(), SubjectCovered}, {w.frozen.Active(), SubjectFrozen}, {w.noFace.Active(), SubjectFace},
		{w.away.Active(), SubjectGaze}, {w.many, SubjectPersons},
	} {
		if d.on {
			out = append(out, d.subject)
		}
	}
	return out
}

// End closes every open span at now (the stage ended, or the camera is
// handed to a room scan) and resets the hysteresis, so spans do not stay
// open across a gap the watcher did not see.
func (w *Watcher) End(now time.Time) []finding.Transition {
	var out []finding.Transition
	if w.covered.Active() {
		out = append(out, w.end(protocol.Rule10_5, SubjectCovered, now, protocol.SeverityViolation, i18n.Key("vision.covered.end")))
	}
	if w.frozen.Active() {
		out = append(out, w.end(protocol.Rule10_5, SubjectFrozen, now, protocol.SeveritySuspected, i18n.Key("vision.frozen.end")))
	}
	if w.noFace.Active() {
		out = append(out, w.end(protocol.Rule10_3, SubjectFace, now, protocol.SeverityViolation, i18n.Key("vision.noface.end")))
	}
	if w.away.Active() {
		out = append(out, w.end(protocol.Rule10_4, SubjectGaze, now, protocol.SeveritySuspected, i18n.Key("vision.away.end")))
	}
	if w.many {
		out = append(out, w.end(protocol.Rule10_2, SubjectPersons, now, protocol.SeverityViolation, i18n.Key("vision.persons.end")))
	}
	w.covered.Reset()
	w.frozen.Reset()
	w.noFace.Reset()
	w.away.Reset()
	w.many, w.manyRun = false, 0
	w.faceRun, w.frontalRun = 0, 0
	return out
}

func (w *Watcher) start(rule protocol.RuleID, subject string, at time.Time, sev protocol.Severity, key i18n.Key, args i18n.Args, img image.Image) finding.Transition {
	return finding.Transition{
		Rule: rule, Subject: subject, Kind: protocol.KindStart, At: at, Severity: sev,
		Key: key, Args: args, Evidence: w.evidence(img, protocol.EvidenceSnapshot),
	}
}

func (w *Watcher) end(rule protocol.RuleID, subject string, at time.Time, sev protocol.Severity, key i18n.Key) finding.Transition {
	return finding.Transition{Rule: rule, Subject: subject, Kind: protocol.KindEnd, At: at, Severity: sev, Key: key}
}
