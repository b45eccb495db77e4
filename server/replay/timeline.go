package replay

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

// SittingBrief names a sitting as the auditor sees it: by PIN (p.74-1).
type SittingBrief struct {
	ID          protocol.SittingID    `json:"id"`
	PIN         string                `json:"pin"`
	Competition string                `json:"competition"`
	Stage       string                `json:"stage"`
	State       protocol.SittingState `json:"state"`
	Created     time.Time             `json:"created"`
	Ended       *time.Time            `json:"ended,omitempty"`
	// Verdict is the published outcome, if any; Effective is the outcome
	// after an appeal decision.
	Verdict   protocol.VerdictOutcome `json:"verdict,omitempty"`
	Effective protocol.VerdictOutcome `json:"effective,omitempty"`
	// Appeal is "pending", "upheld" or "overturned" when the candidate
	// appealed.
	Appeal string `json:"appeal,omitempty"`
}

// Item is one record of the sitting's feed on the timeline, with the audit
// log entry that holds it.
type Item struct {
	protocol.Record
	// Time is where the record sits on the timeline: when the agent
	// observed the event, or when the action was taken.
	Time time.Time `json:"time"`
	// Entry is the index of the record's audit-log entry, -1 if the log
	// has none (verification then fails, naming the record).
	Entry int64 `json:"entry"`
}

// SpanKind says what a span on the timeline stands for.
type SpanKind string

// Span kinds.
const (
	// SpanRule: a rule's observation, from its start event to its end
	// event (or one instant).
	SpanRule SpanKind = "rule"
	// SpanLink: the server lost the agent, until it came back.
	SpanLink SpanKind = "link"
	// SpanPause: the proctor paused the sitting, until resumed.
	SpanPause SpanKind = "pause"
)

// Span is a stretch of the timeline: one rule's observation (10.1–10.11),
// a lost link or a pause.
type Span struct {
	Kind     SpanKind          `json:"kind"`
	Rule     protocol.RuleID   `json:"rule,omitempty"`
	Subject  string            `json:"subject,omitempty"`
	Severity protocol.Severity `json:"severity,omitempty"`
	Start    time.Time         `json:"start"`
	// End is the end event's time; for a span never closed, the end of the
	// sitting's timeline (Open is then set).
	End  time.Time `json:"end"`
	Open bool      `json:"open,omitempty"`
	// Instant marks a one-off observation (Start equals End).
	Instant bool `json:"instant,omitempty"`
	// StartN and EndN are the records that open and close the span.
	StartN uint64            `json:"start_n"`
	EndN   uint64            `json:"end_n,omitempty"`
	Key    string            `json:"key,omitempty"`
	Args   map[string]string `json:"args,omitempty"`
}

// Recording is one closed recording segment, as the log vouches for it.
type Recording struct {
	// Kind is "camera" (camera and microphone) or "screen".
	Kind string `json:"kind"`
	// Start and End are the server's wall-clock times of the first and
	// last frame: playback position p seconds is Start + p.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Name  string    `json:"name"`
	// URL streams the file (Range requests, for seeking); empty once
	// retention deleted it.
	URL    string `json:"url,omitempty"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Video  bool   `json:"video"`
	Audio  bool   `json:"audio"`
	// Entry is the log entry that vouches for the file.
	Entry int64 `json:"entry"`
	// Deleted is set when the retention period ended and the file was
	// deleted (the log says so, in entry DeletedBy).
	Deleted   bool  `json:"deleted,omitempty"`
	DeletedBy int64 `json:"deleted_by,omitempty"`
}

// Evidence is an evidence file an event cites.
type Evidence struct {
	// N is the record of the event that cites it.
	N    uint64                `json:"n"`
	Time time.Time             `json:"time"`
	Rule protocol.RuleID       `json:"rule"`
	ID   string                `json:"id"`
	Kind protocol.EvidenceKind `json:"kind"`
	MIME string                `json:"mime"`
	// SHA256 names the file; URL serves it (GET /api/sittings/{id}/evidence/{sha}).
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	URL    string `json:"url"`
	// HROnly marks the ID-document photo: only HR may see it (p.74-1),
	// so URL is empty.
	HROnly bool `json:"hr_only,omitempty"`
}

// PublishedVerdict is the verdict as its record in the feed holds it.
type PublishedVerdict struct {
	protocol.Verdict
	// Record is the verdict action's record number.
	Record uint64    `json:"record"`
	Actor  string    `json:"actor"`
	Time   time.Time `json:"time"`
	Note   string    `json:"note,omitempty"`
}

// Timeline is everything known about one sitting, on one time axis.
type Timeline struct {
	Sitting SittingBrief `json:"sitting"`
	// Start and End bound everything on the timeline.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Records are the sitting's feed, in record order.
	Records    []Item      `json:"records"`
	Spans      []Span      `json:"spans"`
	Recordings []Recording `json:"recordings"`
	Evidence   []Evidence  `json:"evidence"`
	// Verdict is the published verdict; Effective the outcome after an
	// appeal's decision (the one the workflow reads, p.115).
	Verdict   *PublishedVerdict       `json:"verdict,omitempty"`
	Effective protocol.VerdictOutcome `json:"effective,omitempty"`
	// Appeal is the candidate's appeal, if one was filed.
	Appeal *Appeal `json:"appeal,omitempty"`
	// AppealDeadline is when the appeal period ends (with a verdict).
	AppealDeadline *time.Time `json:"appeal_deadline,omitempty"`
	// Entries counts the sitting's entries in the audit log.
	Entries int `json:"entries"`
}

// itemTime is where a record sits on the timeline.
func itemTime(r protocol.Record) time.Time {
	switch {
	case r.Event != nil:
		return r.Event.Time.UTC()
	case r.Action != nil:
		return r.Action.Time.UTC()
	}
	return r.Received.UTC()
}

// entryKey identifies the log entry of a record: an event by its sequence
// number, an action by its id.
func entryKey(r protocol.Record) string {
	switch {
	case r.Event != nil:
		return "event:" + strconv.FormatUint(r.Event.Seq, 10)
	case r.Action != nil:
		return "action:" + r.Action.ID
	}
	return ""
}

// entryKeyOf is entryKey for a log entry, or "" for entries that hold no
// record (evidence files, recordings, appeals, retention).
func entryKeyOf(e audit.Entry) string {
	switch e.Kind {
	case audit.KindEvent:
		var ev struct {
			Seq uint64 `json:"seq"`
		}
		if json.Unmarshal(e.Data, &ev) == nil && ev.Seq > 0 {
			return "event:" + strconv.FormatUint(ev.Seq, 10)
		}
	case audit.KindAction, audit.KindVerdict:
		var a struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(e.Data, &a) == nil && a.ID != "" {
			return "action:" + a.ID
		}
	}
	return ""
}

// verdictOf returns the first published verdict of the records.
func verdictOf(recs []protocol.Record) *PublishedVerdict {
	for _, r := range recs {
		if a := r.Action; a != nil && a.Kind == protocol.ActionVerdict && a.Verdict != nil {
			return &PublishedVerdict{Verdict: *a.Verdict, Record: r.N, Actor: a.Actor, Time: a.Time.UTC(), Note: a.Note}
		}
	}
	return nil
}

// effective is the outcome that stands: the verdict's, or clean when an
// appeal overturned it.
func effective(v *PublishedVerdict, ap *Appeal) protocol.VerdictOutcome {
	switch {
	case v == nil:
		return ""
	case ap != nil && ap.Decision != nil && ap.Decision.Outcome == DecisionOverturned:
		return protocol.VerdictClean
	}
	return v.Outcome
}

// appealState is the one-word state of an appeal for lists.
func appealState(ap *Appeal) string {
	switch {
	case ap == nil:
		return ""
	case ap.Decision == nil:
		return "pending"
	}
	return string(ap.Decision.Outcome)
}

// buildTimeline puts a sitting's records and log entries on one axis. It
// is a pure function of its inputs.
func buildTimeline(brief SittingBrief, recs []protocol.Record, entries []audit.Record, ap *Appeal) Timeline {
	tl := Timeline{Sitting: brief, Records: []Item{}, Spans: []Span{}, Recordings: []Recording{}, Evidence: []Evidence{},
		Appeal: ap, Entries: len(entries)}
	index := map[string]int64{}
	deleted := map[string]int64{}
	for _, e := range entries {
		if k := entryKeyOf(e.Entry); k != "" {
			if _, dup := index[k]; !dup {
				index[k] = e.Index
			}
		}
		if e.Entry.Kind == audit.KindRetention {
			var rd audit.RetentionData
			if json.Unmarshal(e.Entry.Data, &rd) == nil {
				for _, f := range rd.Deleted {
					deleted[f.Path] = e.Index
				}
			}
		}
	}
	var start, end time.Time
	widen := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if start.IsZero() || t.Before(start) {
			start = t
		}
		if t.After(end) {
			end = t
		}
	}
	widen(brief.Created)
	if brief.Ended != nil {
		widen(*brief.Ended)
	}

	for _, r := range recs {
		it := Item{Record: r, Time: itemTime(r), Entry: -1}
		if i, ok := index[entryKey(r)]; ok {
			it.Entry = i
		}
		widen(it.Time)
		tl.Records = append(tl.Records, it)
		if ev := r.Event; ev != nil {
			for _, ref := range ev.Evidence {
				e := Evidence{N: r.N, Time: it.Time, Rule: ev.Rule, ID: ref.ID, Kind: ref.Kind, MIME: ref.MIME,
					SHA256: ref.SHA256, Size: ref.Size,
					URL: "/api/sittings/" + url.PathEscape(string(brief.ID)) + "/evidence/" + url.PathEscape(ref.SHA256)}
				if ref.Kind == protocol.EvidenceIDPhoto {
					// p.74-1: HR only; the file's hash still proves it in the log.
					e.URL, e.HROnly = "", true
				}
				tl.Evidence = append(tl.Evidence, e)
			}
		}
	}
	for _, e := range entries {
		if e.Entry.Kind != audit.KindRecording || len(e.Entry.Files) == 0 {
			continue
		}
		var d audit.RecordingData
		if err := json.Unmarshal(e.Entry.Data, &d); err != nil {
			continue // verification names a damaged entry; the timeline shows what it can
		}
		f := e.Entry.Files[0]
		rec := Recording{Kind: d.Kind, Start: d.Start.UTC(), End: d.End.UTC(), Name: path.Base(f.Path), SHA256: f.SHA256, Size: f.Size,
			Video: d.Video, Audio: d.Audio, Entry: e.Index}
		if by, ok := deleted[f.Path]; ok && by > e.Index {
			rec.Deleted, rec.DeletedBy = true, by
		} else {
			rec.URL = "/api/replay/sittings/" + url.PathEscape(string(brief.ID)) + "/recordings/" + url.PathEscape(rec.Name)
		}
		widen(rec.Start)
		widen(rec.End)
		tl.Recordings = append(tl.Recordings, rec)
	}
	slices.SortStableFunc(tl.Recordings, func(a, b Recording) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	tl.Start, tl.End = start, end
	tl.Spans = spans(recs, end)
	tl.Verdict = verdictOf(recs)
	tl.Effective = effective(tl.Verdict, ap)
	tl.Sitting.Verdict, tl.Sitting.Effective, tl.Sitting.Appeal = "", tl.Effective, appealState(ap)
	if tl.Verdict != nil {
		tl.Sitting.Verdict = tl.Verdict.Outcome
	}
	return tl
}

// spans pairs start and end events into spans per rule (an end names its
// start by sequence number), turns instants into zero-length spans, and
// adds lost-link and pause spans from the actions. Spans still open at the
// end run to end.
func spans(recs []protocol.Record, end time.Time) []Span {
	out := []Span{}
	open := map[uint64]int{} // start seq → index in out
	var lost, paused = -1, -1
	for _, r := range recs {
		t := itemTime(r)
		if ev := r.Event; ev != nil {
			switch ev.Kind {
			case protocol.KindStart:
				open[ev.Seq] = len(out)
				out = append(out, Span{Kind: SpanRule, Rule: ev.Rule, Subject: ev.Subject, Severity: ev.Severity, Start: t, StartN: r.N, Key: ev.Key, Args: ev.Args})
			case protocol.KindEnd:
				if i, ok := open[ev.StartSeq]; ok {
					out[i].End, out[i].EndN = t, r.N
					delete(open, ev.StartSeq)
				}
			case protocol.KindInstant:
				out = append(out, Span{Kind: SpanRule, Rule: ev.Rule, Subject: ev.Subject, Severity: ev.Severity, Start: t, End: t, Instant: true,
					StartN: r.N, EndN: r.N, Key: ev.Key, Args: ev.Args})
			}
			continue
		}
		a := r.Action
		if a == nil {
			continue
		}
		switch a.Kind {
		case protocol.ActionAgentLost:
			if lost < 0 {
				lost = len(out)
				out = append(out, Span{Kind: SpanLink, Start: t, StartN: r.N})
			}
		case protocol.ActionAgentBack:
			if lost >= 0 {
				out[lost].End, out[lost].EndN = t, r.N
				lost = -1
			}
		case protocol.ActionPause:
			if paused < 0 {
				paused = len(out)
				out = append(out, Span{Kind: SpanPause, Start: t, StartN: r.N})
			}
		case protocol.ActionResume:
			if paused >= 0 {
				out[paused].End, out[paused].EndN = t, r.N
				paused = -1
			}
		}
	}
	for i := range out {
		if out[i].EndN == 0 {
			out[i].End, out[i].Open = end, true
			if end.Before(out[i].Start) {
				out[i].End = out[i].Start
			}
		}
	}
	return out
}

// sittingRecords reads every record of a sitting, in order.
func (m *Module) sittingRecords(id protocol.SittingID) ([]protocol.Record, error) {
	var all []protocol.Record
	var after uint64
	for {
		recs, err := m.cfg.Store.Records(id, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("read records of %s: %w", id, err)
		}
		all = append(all, recs...)
		if len(recs) < 1000 {
			return all, nil
		}
		after = recs[len(recs)-1].N
	}
}

// brief describes a sitting for lists and the timeline's header.
func (m *Module) brief(st store.Sitting) SittingBrief {
	b := SittingBrief{ID: st.ID, PIN: st.PIN, Competition: st.Competition, Stage: st.Stage, State: st.State, Created: st.Created.UTC(), Ended: st.Ended}
	if c, err := m.cfg.Store.Competition(st.Competition); err == nil {
		b.Competition = c.Title
	}
	return b
}

// sitting finds the sitting of the request's {id}.
func (m *Module) sitting(r *http.Request) (store.Sitting, error) {
	st, err := m.cfg.Store.Sitting(protocol.SittingID(r.PathValue("id")))
	if errors.Is(err, store.ErrNotFound) {
		return st, web.Errorf(http.StatusNotFound, "not_found", string(i18n.Key("replay.error.no_sitting")), "no sitting has that id; find it by PIN")
	}
	return st, err
}

// loadTimeline gathers a sitting's timeline.
func (m *Module) loadTimeline(st store.Sitting) (Timeline, error) {
	recs, err := m.sittingRecords(st.ID)
	if err != nil {
		return Timeline{}, err
	}
	entries, err := m.cfg.Log.Entries(string(st.ID))
	if err != nil {
		// The log is damaged: show the records (each will say it has no
		// entry) and let verification name the entry at fault.
		m.log.Warn("timeline without log entries", "sitting", st.ID, "err", err)
		entries = nil
	}
	ap, err := m.appeal(st.ID)
	if err != nil {
		return Timeline{}, err
	}
	tl := buildTimeline(m.brief(st), recs, entries, ap)
	if tl.Verdict != nil {
		d := m.cal.Deadline(tl.Verdict.Time, m.cfg.AppealDays)
		tl.AppealDeadline = &d
	}
	return tl, nil
}

func (m *Module) timeline(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	tl, err := m.loadTimeline(st)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, tl)
	return nil
}

// maxSearch caps a search's answer.
const maxSearch = 50

// SearchResult is the answer to a search.
type SearchResult struct {
	Sittings []SittingBrief `json:"sittings"`
	// More says further sittings matched; narrow the PIN.
	More bool `json:"more,omitempty"`
}

// search finds sittings by PIN prefix (?pin=1234), newest first; with
// ?appeal=pending only those whose appeal awaits a decision.
func (m *Module) search(w http.ResponseWriter, r *http.Request) error {
	pin := strings.TrimSpace(r.URL.Query().Get("pin"))
	if len(pin) > 16 || strings.Trim(pin, "0123456789") != "" {
		return web.Errorf(http.StatusBadRequest, "invalid", string(i18n.Key("replay.error.bad_pin")), "a PIN is digits only, e.g. 34114352")
	}
	filter := r.URL.Query().Get("appeal")
	if filter != "" && filter != "pending" && filter != "any" {
		return web.Errorf(http.StatusBadRequest, "invalid", "", "appeal filter %q: use pending or any", filter)
	}
	all, err := m.cfg.Store.Sittings()
	if err != nil {
		return err
	}
	res := SearchResult{Sittings: []SittingBrief{}}
	for i := len(all) - 1; i >= 0; i-- {
		st := all[i]
		if !strings.HasPrefix(st.PIN, pin) {
			continue
		}
		ap, err := m.appeal(st.ID)
		if err != nil {
			return err
		}
		if (filter == "pending" && (ap == nil || ap.Decision != nil)) || (filter == "any" && ap == nil) {
			continue
		}
		if len(res.Sittings) == maxSearch {
			res.More = true
			break
		}
		b := m.brief(st)
		b.Appeal = appealState(ap)
		// The sitting's copy of the verdict and of the decision (written
		// with their records and log entries), so a list does not read
		// every record of fifty sittings.
		if st.Verdict != nil {
			b.Verdict, b.Effective = st.Verdict.Outcome, st.EffectiveOutcome()
		}
		res.Sittings = append(res.Sittings, b)
	}
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}

// verdict returns the sitting's published verdict from its feed, or nil.
func (m *Module) verdict(id protocol.SittingID) (*PublishedVerdict, error) {
	recs, err := m.sittingRecords(id)
	if err != nil {
		return nil, err
	}
	return verdictOf(recs), nil
}
