package sign

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func essayGrade() Grade {
	return Grade{
		Purpose:     PurposeEssayGrade,
		Competition: "cmp-7f3a",
		Subject:     "essay-19c2",
		PIN:         "P-000123",
		Signer:      "acc-5d1e",
		Score:       "4",
		Issued:      time.Date(2026, 5, 4, 9, 30, 0, 250_000_000, time.UTC),
		Nonce:       "Qm9vdHN0cmFwTm9uY2UxMjM",
	}
}

func interviewScore() Grade {
	g := essayGrade()
	g.Purpose, g.Subject, g.Score = PurposeInterviewScore, "intv-0a41", "2"
	return g
}

const essayPayload = "kuzet-grade/1\n" +
	"purpose=essay_grade\n" +
	"competition=cmp-7f3a\n" +
	"subject=essay-19c2\n" +
	"pin=P-000123\n" +
	"signer=acc-5d1e\n" +
	"score=4\n" +
	"issued=2026-05-04T09:30:00.25Z\n" +
	"nonce=Qm9vdHN0cmFwTm9uY2UxMjM\n"

func TestGradePayload_ExactBytes(t *testing.T) {
	p, err := essayGrade().Payload()
	if err != nil {
		t.Fatal(err)
	}
	if string(p) != essayPayload {
		t.Fatalf("payload:\n%s\nwant:\n%s", p, essayPayload)
	}
}

// The same grade gives the same bytes whatever the location of Issued or
// its monotonic clock reading.
func TestGradePayload_Deterministic(t *testing.T) {
	g := essayGrade()
	want, err := g.Payload()
	if err != nil {
		t.Fatal(err)
	}
	almaty := time.FixedZone("Asia/Almaty", 5*3600)
	for i, issued := range []time.Time{g.Issued, g.Issued.In(almaty), g.Issued.Local()} {
		h := g
		h.Issued = issued
		for range 3 {
			got, err := h.Payload()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("variant %d: payload %q, want %q", i, got, want)
			}
		}
	}
	now := time.Now() // with a monotonic reading
	g.Issued = now
	a, _ := g.Payload()
	g.Issued = now.Round(0)
	b, _ := g.Payload()
	if !bytes.Equal(a, b) {
		t.Fatalf("the monotonic clock reading changed the payload: %q vs %q", a, b)
	}
}

// Changing any field changes the payload. The table must name every field
// of Grade, so that a field added later is covered or the test fails.
func TestGradePayload_EveryFieldChangesPayload(t *testing.T) {
	changes := map[string]func(*Grade){
		"Purpose":     func(g *Grade) { g.Purpose = PurposeInterviewScore; g.Score = "3" },
		"Competition": func(g *Grade) { g.Competition = "cmp-7f3b" },
		"Subject":     func(g *Grade) { g.Subject = "essay-19c3" },
		"PIN":         func(g *Grade) { g.PIN = "P-000124" },
		"Signer":      func(g *Grade) { g.Signer = "acc-5d1f" },
		"Score":       func(g *Grade) { g.Score = "5" },
		"Issued":      func(g *Grade) { g.Issued = g.Issued.Add(time.Nanosecond) },
		"Nonce":       func(g *Grade) { g.Nonce = "Qm9vdHN0cmFwTm9uY2UxMjQ" },
	}
	typ := reflect.TypeFor[Grade]()
	for i := range typ.NumField() {
		if _, ok := changes[typ.Field(i).Name]; !ok {
			t.Errorf("field %s of Grade has no change in this test: add one (and a payload line)", typ.Field(i).Name)
		}
	}
	base, err := essayGrade().Payload()
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range changes {
		g := essayGrade()
		change(&g)
		p, err := g.Payload()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Equal(p, base) {
			t.Errorf("changing %s left the payload unchanged", name)
		}
	}
}

// No value can carry a newline, an "=" or anything else that would let it
// pose as another field: every such value is refused.
func TestGradePayload_FieldInjectionImpossible(t *testing.T) {
	evil := []string{
		"essay-19c2\nscore=5",
		"x\nsigner=acc-other",
		"a=b",
		"a b",
		"a\rb",
		"a\x00b",
		"эссе",
		"a\tb",
		"a/b",
		strings.Repeat("a", maxIDLen+1),
		"",
	}
	set := map[string]func(*Grade, string){
		"competition": func(g *Grade, v string) { g.Competition = v },
		"subject":     func(g *Grade, v string) { g.Subject = v },
		"pin":         func(g *Grade, v string) { g.PIN = v },
		"signer":      func(g *Grade, v string) { g.Signer = v },
		"nonce":       func(g *Grade, v string) { g.Nonce = v + "AAAAAAAAAAAAAAAA" },
		"score":       func(g *Grade, v string) { g.Score = "4" + v },
	}
	for name, f := range set {
		for _, v := range evil {
			if name == "nonce" && v == "" {
				continue // a nonce of 16 A's is valid
			}
			if name == "score" && v == "" {
				continue
			}
			g := essayGrade()
			f(&g, v)
			if p, err := g.Payload(); !errors.Is(err, ErrBadPayload) {
				t.Errorf("%s = %q: got %q, %v; want ErrBadPayload", name, v, p, err)
			}
		}
	}
}

func TestP115_EssayGradeOutOfRangeRefused(t *testing.T) {
	for _, s := range []string{"6", "9", "-1", "3.5", "4.0", "03", "+3", " 3", "3 ", "", "10", "a", "٣"} {
		g := essayGrade()
		g.Score = s
		_, err := g.Payload()
		if !errors.Is(err, ErrBadPayload) || !strings.Contains(err.Error(), "p.115") {
			t.Errorf("essay score %q: %v; want ErrBadPayload citing p.115", s, err)
		}
	}
	for _, s := range []string{"0", "1", "2", "3", "4", "5"} {
		g := essayGrade()
		g.Score = s
		if _, err := g.Payload(); err != nil {
			t.Errorf("essay score %q refused: %v", s, err)
		}
	}
}

func TestP130_InterviewScoreOutOfRangeRefused(t *testing.T) {
	for _, s := range []string{"4", "5", "-1", "2.5", "02", "", "x"} {
		g := interviewScore()
		g.Score = s
		_, err := g.Payload()
		if !errors.Is(err, ErrBadPayload) || !strings.Contains(err.Error(), "p.130") {
			t.Errorf("interview score %q: %v; want ErrBadPayload citing p.130", s, err)
		}
	}
	for _, s := range []string{"0", "1", "2", "3"} {
		g := interviewScore()
		g.Score = s
		if _, err := g.Payload(); err != nil {
			t.Errorf("interview score %q refused: %v", s, err)
		}
	}
}

func TestGrade_UnknownPurposeRefused(t *testing.T) {
	for _, p := range []string{"", "essay", "Essay_grade", "interview", "essay_grade\n"} {
		g := essayGrade()
		g.Purpose = p
		_, err := g.Payload()
		if !errors.Is(err, ErrBadPayload) || !strings.Contains(err.Error(), "p.115") || !strings.Contains(err.Error(), "p.130") {
			t.Errorf("purpose %q: %v; want ErrBadPayload citing p.115 and p.130", p, err)
		}
	}
}

func TestGrade_IssuedRequired(t *testing.T) {
	for _, at := range []time.Time{{}, time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		g := essayGrade()
		g.Issued = at
		if _, err := g.Payload(); !errors.Is(err, ErrBadPayload) {
			t.Errorf("issued %v: %v; want ErrBadPayload", at, err)
		}
	}
}

func TestGrade_NonceRules(t *testing.T) {
	for _, n := range []string{"", "short", strings.Repeat("a", 15), strings.Repeat("a", 65), "AAAAAAAAAAAAAAA+", "AAAAAAAAAAAAAAA/", "AAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAA."} {
		g := essayGrade()
		g.Nonce = n
		if _, err := g.Payload(); !errors.Is(err, ErrBadPayload) {
			t.Errorf("nonce %q: %v; want ErrBadPayload", n, err)
		}
	}
	for _, n := range []string{strings.Repeat("a", 16), strings.Repeat("Z", 64), "abc_DEF-0123456789"} {
		g := essayGrade()
		g.Nonce = n
		if _, err := g.Payload(); err != nil {
			t.Errorf("nonce %q refused: %v", n, err)
		}
	}
}

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n := NewNonce()
		g := essayGrade()
		g.Nonce = n
		if _, err := g.Payload(); err != nil {
			t.Fatalf("NewNonce gave %q, which a grade refuses: %v", n, err)
		}
		if seen[n] {
			t.Fatalf("NewNonce repeated %q", n)
		}
		seen[n] = true
	}
}

// Grade errors name the field and the rule, never the value, so a PIN or
// an id does not end up in a log.
func TestGrade_ErrorsCarryNoValues(t *testing.T) {
	secret := "990101300123"
	for _, f := range []func(*Grade){
		func(g *Grade) { g.Subject = secret + "\n" },
		func(g *Grade) { g.PIN = secret + " " },
		func(g *Grade) { g.Signer = secret + "=" },
		func(g *Grade) { g.Nonce = secret },
		func(g *Grade) { g.Score = secret },
		func(g *Grade) { g.Purpose = secret },
	} {
		g := essayGrade()
		f(&g)
		_, err := g.Payload()
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("error %v: want a refusal without the value", err)
		}
	}
}

func TestParseGrade_RoundTrip(t *testing.T) {
	for _, g := range []Grade{essayGrade(), interviewScore()} {
		p, err := g.Payload()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseGrade(p)
		if err != nil {
			t.Fatalf("ParseGrade(%q): %v", p, err)
		}
		if !back.Issued.Equal(g.Issued) {
			t.Fatalf("issued %v, want %v", back.Issued, g.Issued)
		}
		back.Issued = g.Issued
		if back != g {
			t.Fatalf("ParseGrade gave %+v, want %+v", back, g)
		}
	}
}

func TestParseGrade_NonCanonicalRefused(t *testing.T) {
	for name, text := range map[string]string{
		"no final newline":   strings.TrimSuffix(essayPayload, "\n"),
		"crlf":               strings.ReplaceAll(essayPayload, "\n", "\r\n"),
		"other version":      strings.Replace(essayPayload, "kuzet-grade/1", "kuzet-grade/2", 1),
		"trailing zero":      strings.Replace(essayPayload, ".25Z", ".250Z", 1),
		"offset":             strings.Replace(essayPayload, "09:30:00.25Z", "14:30:00.25+05:00", 1),
		"reordered":          strings.Replace(essayPayload, "pin=P-000123\nsigner=acc-5d1e\n", "signer=acc-5d1e\npin=P-000123\n", 1),
		"extra line":         essayPayload + "extra=1\n",
		"repeated line":      strings.Replace(essayPayload, "score=4\n", "score=4\nscore=5\n", 1),
		"missing line":       strings.Replace(essayPayload, "pin=P-000123\n", "", 1),
		"space around =":     strings.Replace(essayPayload, "score=4", "score = 4", 1),
		"blank line":         essayPayload + "\n",
		"leading blank line": "\n" + essayPayload,
		"empty":              "",
		"too long":           essayPayload + strings.Repeat("x", MaxPayloadSize),
	} {
		if _, err := ParseGrade([]byte(text)); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: %v; want ErrBadPayload", name, err)
		}
	}
}
