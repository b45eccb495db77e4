package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/store"
)

// TestP74_1_NoPersonalDataBeyondHR walks, as every role that is not HR
// (proctor, assessor, commission, auditor, the public), every GET route the
// authorisation table opens to it, with every id the demo has, and the
// live feed a proctor and an auditor receive, and fails when a response
// carries a personal-data field or a demo candidate's name, IIN, e-mail or
// phone (p.74-1: from admission on they see the PIN only). The personal
// data is read from HR's own view first, so the test proves its detector
// sees what HR sees.
func TestP74_1_NoPersonalDataBeyondHR(t *testing.T) {
	r := start(t)
	d := r.Demo
	hr := login(t, r, d.HRUser, d.HRPassword)

	// What HR sees: the values nobody else may see, and the ids to walk.
	var comps []struct {
		ID string `json:"id"`
	}
	getJSON(t, hr, r.URL+"/api/competitions", &comps)
	ids := map[string][]string{"competitions": {}, "applications": {}, "docs": {}, "sittings": {}}
	secrets := map[string]string{} // value → what it is
	for _, c := range comps {
		ids["competitions"] = append(ids["competitions"], c.ID)
		var apps []struct {
			ID       string `json:"id"`
			Personal struct {
				Name, IIN, Email, Phone string
			} `json:"personal"`
			Documents []struct {
				ID string `json:"id"`
			} `json:"documents"`
		}
		getJSON(t, hr, r.URL+"/api/competitions/"+c.ID+"/applications", &apps)
		for _, a := range apps {
			ids["applications"] = append(ids["applications"], a.ID)
			for _, doc := range a.Documents {
				ids["docs"] = append(ids["docs"], doc.ID)
			}
			for what, v := range map[string]string{"name": a.Personal.Name, "IIN": a.Personal.IIN, "e-mail": a.Personal.Email, "phone": a.Personal.Phone} {
				if v == "" {
					t.Fatalf("HR's view of application %s has no %s: the walk would prove nothing", a.ID, what)
				}
				secrets[v] = what
			}
		}
	}
	if len(secrets) < 20 {
		t.Fatalf("HR sees only %d personal values in the demo; want a demo with candidates at every status", len(secrets))
	}
	sittings, err := r.Store.Sittings()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sittings {
		ids["sittings"] = append(ids["sittings"], string(s.ID))
	}

	// Personal-data field names, as JSON keys.
	fields := regexp.MustCompile(`"(personal|iin|email|e_mail|phone|full_name|surname|first_name|last_name|birth_date)"\s*:`)
	leak := func(who, what string, body []byte) {
		t.Helper()
		if m := fields.Find(body); m != nil {
			t.Errorf("%s got %s with the personal-data field %s (p.74-1)", who, what, m)
		}
		s := string(body)
		for v, kind := range secrets {
			if strings.Contains(s, v) {
				t.Errorf("%s got %s with a candidate's %s (p.74-1)", who, what, kind)
			}
		}
	}

	// HR does see them: the detector works on what it is given.
	raw := getRaw(t, hr, r.URL+"/api/competitions/"+ids["competitions"][2]+"/applications")
	seen := 0
	for v := range secrets {
		if strings.Contains(string(raw), v) {
			seen++
		}
	}
	if seen == 0 || fields.Find(raw) == nil {
		t.Fatal("the detector finds nothing in HR's own view of the applications")
	}

	callers := []struct {
		who string
		p   authz.Principal
		c   *http.Client
	}{
		{"the demo proctor", authz.Staff(store.RoleProctor), login(t, r, d.ProctorUser, d.ProctorPassword)},
		{"the demo assessor", authz.Staff(store.RoleAssessor), login(t, r, d.AssessorUser, d.AssessorPassword)},
		{"the demo commission member", authz.Staff(store.RoleCommittee), login(t, r, d.CommissionUser, d.CommissionPassword)},
		{"the demo auditor", authz.Staff(store.RoleAuditor), login(t, r, d.AuditorUser, d.AuditorPassword)},
		{"the public", authz.Public, &http.Client{Timeout: 10 * time.Second}},
	}
	ok := map[string]int{}
	for _, cl := range callers {
		for _, rule := range authz.Table() {
			method, path, _ := strings.Cut(rule.Route, " ")
			if method != http.MethodGet || strings.HasPrefix(path, "/v1/") || path == "/" || path == "/api/i18n" || !rule.Allows(cl.p) {
				continue
			}
			for _, u := range expand(path, ids) {
				resp, err := cl.c.Get(r.URL + u)
				if err != nil {
					t.Fatalf("%s: GET %s: %v", cl.who, u, err)
				}
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok[cl.who]++
				}
				leak(cl.who, "GET "+u, body)
			}
		}
	}
	// The walk saw real data, not only refusals.
	for _, cl := range callers[:4] {
		if ok[cl.who] < 5 {
			t.Errorf("%s got only %d successful responses: the walk saw too little", cl.who, ok[cl.who])
		}
	}

	// An assessor's own write answers too (p.14-1 confirm returns the
	// competition).
	ac := callers[1].c
	for _, id := range ids["competitions"] {
		resp, err := ac.Post(r.URL+"/api/competitions/"+id+"/commission/confirm", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		leak("the demo assessor", "POST …/commission/confirm", body)
	}

	// The live feed of the proctor and the auditor.
	for _, cl := range []struct {
		who  string
		user string
		pass string
	}{{"the demo proctor", d.ProctorUser, d.ProctorPassword}, {"the demo auditor", d.AuditorUser, d.AuditorPassword}} {
		frames := feed(t, r, login(t, r, cl.user, cl.pass))
		if cl.who == "the demo proctor" && len(frames) == 0 {
			t.Errorf("%s's feed sent nothing in 2 s: the walk saw no feed", cl.who)
		}
		for i, f := range frames {
			leak(cl.who, "feed message "+itoa(i), f)
		}
	}
}

// expand fills a route's path parameters with every id of their kind.
func expand(path string, ids map[string][]string) []string {
	if !strings.Contains(path, "{") {
		return []string{path}
	}
	kind := "sittings"
	switch {
	case strings.HasPrefix(path, "/api/competitions/"):
		kind = "competitions"
	case strings.HasPrefix(path, "/api/applications/"), strings.HasPrefix(path, "/api/grading/"):
		kind = "applications"
	}
	var out []string
	for _, id := range ids[kind] {
		p := strings.Replace(strings.Replace(path, "{id}", id, 1), "{app}", id, 1)
		p = strings.NewReplacer("{sha}", strings.Repeat("0", 64), "{name}", "none.webm", "{n}", "1", "{kind}", "essay", "{account}", "assessor1").Replace(p)
		if strings.Contains(p, "{doc}") {
			for _, doc := range ids["docs"] {
				out = append(out, strings.Replace(p, "{doc}", doc, 1))
			}
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func login(t *testing.T, r app.Ready, user, pass string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	b, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	resp, err := c.Post(r.URL+"/api/login", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login as %s: %s", user, resp.Status)
	}
	return c
}

func getRaw(t *testing.T, c *http.Client, url string) []byte {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, raw)
	}
	return raw
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	if err := json.Unmarshal(getRaw(t, c, url), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// feed subscribes to the live view channel and returns what arrives in 2 s.
func feed(t *testing.T, r app.Ready, c *http.Client) [][]byte {
	t.Helper()
	hdr := http.Header{}
	for _, ck := range c.Jar.Cookies(mustURL(t, r.URL)) {
		hdr.Add("Cookie", ck.String())
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(r.URL, "http")+"/v1/view", hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	codec := protocol.NewCodec(protocol.ServerToViewer, protocol.ViewerToServer)
	frame, _ := codec.Encode(&protocol.Subscribe{Since: map[protocol.SittingID]uint64{}})
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return out
		}
		out = append(out, data)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
