package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/consent"
	"kuzet.kz/kuzet/server/store"
)

// specPath is the OpenAPI description of the HTTP API, from this package.
var specPath = filepath.Join("..", "..", "docs", "api", "openapi.yaml")

func init() {
	// The binary answers: their bytes are not checked, their type is.
	for _, ct := range []string{"image/jpeg", "image/png", "application/pdf", "video/webm"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
	// The bank imports: one QTI item as XML, or a content package.
	openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/xml", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/zip", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/x-zip-compressed", openapi3filter.FileBodyDecoder)
}

// loadSpec loads docs/api/openapi.yaml and validates it as OpenAPI 3.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("load %s: %v", specPath, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not a valid OpenAPI 3 description: %v", specPath, err)
	}
	return doc
}

// specRoutes lists the spec's operations as http.ServeMux writes routes:
// "METHOD /path/{param}".
func specRoutes(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[method+" "+path] = op
		}
	}
	return out
}

// TestOpenAPI starts the real demo server once and checks the description
// against it: every route is described (routes), and every answer the
// server gives conforms (responses). The workflow runs on the real clock,
// which the walk of the test stages shifts into the past and back to
// take a competition of its own through its application period.
func TestOpenAPI(t *testing.T) {
	doc := loadSpec(t)
	clk := &shiftClock{}
	r := startWith(t, clk.now)
	t.Run("routes", func(t *testing.T) { specComplete(t, doc, r) })
	t.Run("responses", func(t *testing.T) { responsesConform(t, doc, r, clk) })
}

// specComplete: the description describes exactly the routes the server
// registers (the authorisation table's routes), no more and no less, and
// each with the credential its callers use.
func specComplete(t *testing.T, doc *openapi3.T, r app.Ready) {
	spec := specRoutes(doc)
	served := map[string]bool{}
	for _, route := range r.Routes {
		served[route] = true
		if _, ok := spec[route]; !ok {
			t.Errorf("route %s is registered but not described in %s: add it", route, specPath)
		}
	}
	for route := range spec {
		if !served[route] {
			t.Errorf("%s describes %s, which the server does not register: remove it or fix its method or path", specPath, route)
		}
	}
	for _, rule := range authz.Table() {
		if _, ok := spec[rule.Route]; !ok {
			t.Errorf("authorisation table row %s is not described in %s", rule.Route, specPath)
		}
	}
	if len(served) < 50 {
		t.Fatalf("the server registered only %d routes; is Ready.Routes filled?", len(served))
	}
	// Staff routes need the session; the others say which token or none.
	for _, rule := range authz.Table() {
		op := spec[rule.Route]
		if op == nil {
			continue
		}
		var schemes []string
		if op.Security != nil {
			for _, req := range *op.Security {
				for name := range req {
					schemes = append(schemes, name)
				}
			}
		}
		if len(rule.StaffRoles()) > 0 && (len(schemes) != 1 || schemes[0] != "session") {
			t.Errorf("%s is for staff (%v) but its security is %v, want the session cookie", rule.Route, rule.Who, schemes)
		}
		if rule.Allows(authz.Public) && len(schemes) > 0 {
			t.Errorf("%s is public but its security asks for %v", rule.Route, schemes)
		}
	}
}

// conformance calls the real server and checks each answer against the
// description.
type conformance struct {
	t    *testing.T
	doc  *openapi3.T
	base string
	ops  map[string]*openapi3.Operation
	// seen counts the validated answers of each route; statuses holds
	// the statuses they had.
	seen     map[string]int
	statuses map[string]map[int]int
	// keys are the catalogue keys of the refusals seen, with a route
	// that gave each.
	keys map[string]string
}

// call is one request of the walk.
type call struct {
	who    string
	client *http.Client
	route  string            // "METHOD /pattern/{param}"
	params map[string]string // path parameters
	// path, if set, is the path to request instead of the filled pattern
	// (a static file under GET /).
	path   string
	query  string
	body   []byte
	ctype  string
	bearer string
	// good marks a request the description must accept as it is; bad
	// one it must refuse (the server refuses it too).
	good, bad bool
}

// do sends c, validates the answer against the description and returns
// its status and body. A mismatch fails the test naming the route.
func (w *conformance) do(c call) (int, []byte) {
	t := w.t
	t.Helper()
	method, pattern, _ := strings.Cut(c.route, " ")
	op := w.ops[c.route]
	if op == nil {
		t.Fatalf("the walk calls %s, which the description does not have", c.route)
	}
	path := pattern
	for k, v := range c.params {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	if c.path != "" {
		path = c.path
	}
	if strings.Contains(path, "{") {
		t.Fatalf("%s: path parameters left unfilled in %s", c.route, path)
	}
	u := w.base + path
	if c.query != "" {
		u += "?" + c.query
	}
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.body != nil {
		ctype := c.ctype
		if ctype == "" {
			ctype = "application/json"
		}
		req.Header.Set("Content-Type", ctype)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	hc := c.client
	if hc == nil {
		hc = client()
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, c.who, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s as %s: read the answer: %v", method, path, c.who, err)
	}

	route := &routers.Route{Spec: w.doc, Path: pattern, PathItem: w.doc.Paths.Value(pattern), Method: method, Operation: op}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: c.params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if c.good || c.bad {
		// The description takes what the server takes, and refuses what
		// it refuses.
		vreq := req.Clone(context.Background())
		if c.body != nil {
			vreq.Body = io.NopCloser(bytes.NewReader(c.body))
		}
		vin := *in
		vin.Request = vreq
		err := openapi3filter.ValidateRequest(context.Background(), &vin)
		switch {
		case c.good && err != nil:
			t.Errorf("%s as %s: the description refuses a request the server takes: %v", c.route, c.who, err)
		case c.bad && err == nil:
			t.Errorf("%s as %s: the description allows a request the server refuses (%d): %s", c.route, c.who, resp.StatusCode, c.body)
		case c.bad && resp.StatusCode < 400:
			t.Errorf("%s as %s: a bad request was taken: %d", c.route, c.who, resp.StatusCode)
		}
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	opts.WithCustomSchemaErrorFunc(shortSchemaError)
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s (%s%s) as %s: the answer does not match %s: %d %s: %v\nbody: %s",
			c.route, path, queryPart(c.query), c.who, specPath, resp.StatusCode, resp.Header.Get("Content-Type"), err, snippet(raw, resp.Header))
	} else {
		w.seen[c.route]++
		if w.statuses[c.route] == nil {
			w.statuses[c.route] = map[int]int{}
		}
		w.statuses[c.route][resp.StatusCode]++
	}
	if resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var e struct {
			Error struct {
				Key string `json:"key"`
			} `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error.Key != "" {
			w.keys[e.Error.Key] = c.route
		}
	}
	return resp.StatusCode, raw
}

// agentConn is a minimal kuzet-agent on the agent channel: hello, then
// events, each acknowledged.
type agentConn struct {
	*websocket.Conn
	codec  *protocol.Codec
	upload string
	seq    uint64
	// page is the candidate page's token, from the welcome's page link.
	page    string
	consent protocol.ConsentState
}

func joinAgent(t *testing.T, base, token string) *agentConn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &agentConn{Conn: ws, codec: protocol.NewCodec(protocol.ServerToAgent, protocol.AgentToServer)}
	a.send(t, &protocol.Hello{Versions: []int{protocol.Version}, Token: token, Agent: protocol.AgentInfo{Version: "openapi-walk", OS: "linux", Arch: "amd64"}, Lang: "en"})
	m := a.next(t, func(m protocol.Message) bool { _, ok := m.(*protocol.Welcome); return ok })
	wl := m.(*protocol.Welcome)
	a.upload, a.seq, a.consent = wl.UploadToken, wl.LastSeq, wl.Consent
	if u, err := url.Parse(wl.CandidateURL); err == nil {
		if q, err := url.ParseQuery(u.Fragment); err == nil {
			a.page = q.Get("t")
		}
	}
	return a
}

func (a *agentConn) send(t *testing.T, m protocol.Message) {
	t.Helper()
	frame, err := a.codec.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatal(err)
	}
}

// next reads messages until one satisfies want.
func (a *agentConn) next(t *testing.T, want func(protocol.Message) bool) protocol.Message {
	t.Helper()
	_ = a.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		_, data, err := a.ReadMessage()
		if err != nil {
			t.Fatalf("agent channel: %v", err)
		}
		m, err := a.codec.Decode(data)
		if err != nil {
			t.Fatalf("agent channel: %v", err)
		}
		if want(m) {
			return m
		}
	}
}

// event sends ev and waits for the server's ack.
func (a *agentConn) event(t *testing.T, ev protocol.Event) {
	t.Helper()
	a.send(t, &ev)
	a.next(t, func(m protocol.Message) bool { ack, ok := m.(*protocol.Ack); return ok && ack.Seq == ev.Seq })
	a.seq = ev.Seq
}

// upgrade opens a WebSocket on route (with c's cookies) and validates the
// handshake's answer against the description.
func (w *conformance) upgrade(who string, c *http.Client, route string) {
	t := w.t
	t.Helper()
	method, pattern, _ := strings.Cut(route, " ")
	hdr := http.Header{}
	if c != nil {
		for _, ck := range c.Jar.Cookies(mustURL(t, w.base)) {
			hdr.Add("Cookie", ck.String())
		}
	}
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(w.base, "http")+pattern, hdr)
	if err != nil {
		t.Errorf("%s as %s: WebSocket upgrade: %v", route, who, err)
		return
	}
	defer ws.Close()
	req, _ := http.NewRequest(method, w.base+pattern, nil)
	in := &openapi3filter.RequestValidationInput{Request: req,
		Route: &routers.Route{Spec: w.doc, Path: pattern, PathItem: w.doc.Paths.Value(pattern), Method: method, Operation: w.ops[route]}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(nil)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s as %s: the upgrade's answer does not match %s: %d: %v", route, who, specPath, resp.StatusCode, err)
		return
	}
	w.seen[route]++
	if w.statuses[route] == nil {
		w.statuses[route] = map[int]int{}
	}
	w.statuses[route][resp.StatusCode]++
}

// shortSchemaError says where in the body and what, without the schema
// and value dumps kin-openapi adds by default.
func shortSchemaError(err *openapi3.SchemaError) string {
	return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
}

func queryPart(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

func snippet(raw []byte, h http.Header) string {
	if !strings.Contains(h.Get("Content-Type"), "json") && !strings.HasPrefix(h.Get("Content-Type"), "text/") {
		return fmt.Sprintf("(%d bytes)", len(raw))
	}
	if len(raw) > 600 {
		return string(raw[:600]) + "…"
	}
	return string(raw)
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeAs[T any](t *testing.T, route string, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: decode the answer: %v: %s", route, err, raw)
	}
	return v
}

// responsesConform walks the real demo server as every kind of caller —
// each staff role, the public, a candidate with a cabinet token and with a
// sitting token — calling every GET route with ids taken from earlier
// answers and a set of writes, most with bad input, and validates every
// answer (status, content type, body) against docs/api/openapi.yaml. Every
// route of the description must have been answered at least once.
func responsesConform(t *testing.T, doc *openapi3.T, r app.Ready, clk *shiftClock) {
	w := &conformance{t: t, doc: doc, base: r.URL, ops: specRoutes(doc), seen: map[string]int{}, statuses: map[string]map[int]int{}, keys: map[string]string{}}
	d := r.Demo
	if d == nil {
		t.Fatal("the server started without demo credentials")
	}

	// ---- the public, before anyone logs in
	anon := client()
	w.do(call{who: "public", route: "GET /healthz", good: true})
	for _, page := range []string{"/", "/index.html", "/candidate.html", "/replay.html", "/cabinet.html", "/no-such-file.html"} {
		w.do(call{who: "public", route: "GET /", path: page})
	}
	_, raw := w.do(call{who: "public", route: "GET /api/i18n", good: true})
	catalogue := decodeAs[map[string]map[string]string](t, "GET /api/i18n", raw)
	w.do(call{who: "public", route: "GET /api/me"})
	w.do(call{who: "public", route: "POST /api/logout", client: anon, good: true})
	w.do(call{who: "public", route: "GET /v1/agent"})
	w.do(call{who: "public", route: "GET /v1/candidate"})
	w.do(call{who: "public", route: "GET /v1/view"})
	w.do(call{who: "public", route: "POST /v1/evidence/{id}", params: map[string]string{"id": "e1"}, body: []byte("not evidence"), ctype: "application/octet-stream"})
	if code, _ := w.do(call{who: "public", route: "POST /api/login", body: jsonBody(t, map[string]string{"username": d.ProctorUser, "password": "wrong password"})}); code != http.StatusUnauthorized {
		t.Errorf("login with a wrong password: %d, want 401", code)
	}
	w.do(call{who: "public", route: "POST /api/login", body: []byte(`{"username":"a","password":"b"}`), ctype: "text/plain", bad: true})
	w.do(call{who: "public", route: "POST /api/login", body: []byte(`{"username":"a","password":"b","admin":true}`), bad: true})

	// ---- every staff role, logged in as the demo prints it
	logins := []struct {
		role       store.Role
		user, pass string
	}{
		{store.RoleAdmin, d.AdminUser, d.AdminPassword},
		{store.RoleHR, d.HRUser, d.HRPassword},
		{store.RoleProctor, d.ProctorUser, d.ProctorPassword},
		{store.RoleAuditor, d.AuditorUser, d.AuditorPassword},
		{store.RoleCommittee, d.CommissionUser, d.CommissionPassword},
		{store.RoleAssessor, d.AssessorUser, d.AssessorPassword},
	}
	staff := map[store.Role]*http.Client{}
	for _, l := range logins {
		c := client()
		code, raw := w.do(call{who: string(l.role), client: c, route: "POST /api/login", good: true,
			body: jsonBody(t, map[string]string{"username": l.user, "password": l.pass})})
		if code != http.StatusOK {
			t.Fatalf("log in as %s (%s): %d %s", l.role, l.user, code, raw)
		}
		staff[l.role] = c
		_, raw = w.do(call{who: string(l.role), client: c, route: "GET /api/me", good: true})
		if me := decodeAs[struct {
			Role store.Role `json:"role"`
		}](t, "GET /api/me", raw); me.Role != l.role {
			t.Errorf("GET /api/me as %s says role %q", l.role, me.Role)
		}
	}
	admin, hr, proctor, auditor := staff[store.RoleAdmin], staff[store.RoleHR], staff[store.RoleProctor], staff[store.RoleAuditor]

	// ---- ids from the answers
	_, raw = w.do(call{who: "hr", client: hr, route: "GET /api/competitions", good: true})
	comps := decodeAs[[]idOnly](t, "GET /api/competitions", raw)
	if len(comps) < 5 {
		t.Fatalf("the demo has %d competitions, want one at every status", len(comps))
	}
	var apps []appIDs
	for _, c := range comps {
		_, raw := w.do(call{who: "hr", client: hr, route: "GET /api/competitions/{id}/applications", params: map[string]string{"id": c.ID}, good: true})
		apps = append(apps, decodeAs[[]appIDs](t, "applications", raw)...)
	}
	if len(apps) < 5 {
		t.Fatalf("the demo has %d applications, want one at every status", len(apps))
	}
	_, raw = w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/sittings", good: true})
	found := decodeAs[struct {
		Sittings []idOnly `json:"sittings"`
	}](t, "GET /api/replay/sittings", raw)
	sittings := []string{}
	for _, s := range found.Sittings {
		sittings = append(sittings, s.ID)
	}
	if len(sittings) == 0 {
		t.Fatal("the demo has no sitting to replay")
	}
	type shaOnly struct {
		SHA256 string `json:"sha256"`
		Name   string `json:"name"`
	}
	evidence := map[string][]string{}
	recordings := map[string][]string{}
	for _, s := range sittings {
		_, raw := w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/sittings/{id}", params: map[string]string{"id": s}, good: true})
		tl := decodeAs[struct {
			Evidence   []shaOnly `json:"evidence"`
			Recordings []shaOnly `json:"recordings"`
		}](t, "timeline", raw)
		for _, e := range tl.Evidence {
			evidence[s] = append(evidence[s], e.SHA256)
		}
		for _, rec := range tl.Recordings {
			recordings[s] = append(recordings[s], rec.Name)
		}
		// Ids that exist nowhere: their refusals are answers too.
		evidence[s] = append(evidence[s], strings.Repeat("0", 64))
		recordings[s] = append(recordings[s], "none.webm")
	}

	// ---- every GET route, as every staff role (allowed or refused)
	var gets []string
	for route := range w.ops {
		if strings.HasPrefix(route, "GET /api/") && !strings.HasPrefix(route, "GET /api/cabinet") &&
			route != "GET /api/i18n" && route != "GET /api/open-competitions" {
			gets = append(gets, route)
		}
	}
	sort.Strings(gets)
	for _, l := range logins {
		c := staff[l.role]
		for _, route := range gets {
			for _, params := range paramSets(route, comps, apps, sittings, evidence, recordings) {
				// A role refused once is refused for every id: the role is
				// checked before the id is looked up.
				if code, _ := w.do(call{who: string(l.role), client: c, route: route, params: params, good: true}); code == http.StatusForbidden {
					break
				}
			}
		}
	}
	walkAccounts(t, w, d.AdminUser, staff)

	w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/sittings", query: "pin=12ab"})
	w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/sittings", query: "appeal=pending", good: true})
	w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/checkpoint", query: "from=nope"})
	w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/checkpoint", query: "from=1", good: true})

	// ---- the public side of the workflow
	_, raw = w.do(call{who: "public", route: "GET /api/open-competitions", good: true})
	open := decodeAs[[]idOnly](t, "GET /api/open-competitions", raw)
	if len(open) == 0 {
		t.Fatal("the demo has no competition accepting applications")
	}
	oc := map[string]string{"id": open[0].ID}
	code, raw := w.do(call{who: "public", route: "POST /api/competitions/{id}/apply", params: oc,
		body: jsonBody(t, map[string]string{"name": "Test Candidate", "iin": "123", "email": "t@example.kz", "phone": "+77010000000"})})
	wantRefusal(t, "an application with a 3-digit IIN", code, raw, http.StatusBadRequest, "invalid", "")
	w.do(call{who: "public", route: "POST /api/competitions/{id}/apply", params: map[string]string{"id": "no-such-competition"},
		body: jsonBody(t, map[string]string{"name": "Test Candidate", "iin": "880214300015", "email": "t@example.kz", "phone": "+77010000000"})})
	w.do(call{who: "public", route: "POST /api/competitions/{id}/apply", params: oc, body: []byte(`{"name":1}`), bad: true})
	code, raw = w.do(call{who: "public", route: "POST /api/competitions/{id}/apply", params: oc, good: true,
		body: jsonBody(t, map[string]string{"name": "Test Candidate", "iin": "880214300015", "email": "t@example.kz", "phone": "+77010000000"})})
	if code != http.StatusCreated {
		t.Fatalf("apply with a valid IIN: %d %s", code, raw)
	}
	applied := decodeAs[struct {
		Token string `json:"token"`
	}](t, "apply", raw)

	// ---- the candidate's cabinet, by cabinet token
	cab := applied.Token
	w.do(call{who: "candidate", route: "GET /api/cabinet/inbox", bearer: cab, good: true})
	w.do(call{who: "candidate", route: "GET /api/cabinet/inbox", bearer: "not-a-token"})
	demoCab := strings.TrimPrefix(d.Cabinet, "/cabinet.html#inbox=")
	w.do(call{who: "candidate (demo)", route: "GET /api/cabinet/inbox", bearer: demoCab, good: true})
	code, raw = w.do(call{who: "candidate", route: "POST /api/cabinet/documents", query: "kind=education", bearer: cab, body: []byte("plain text, not a scan"), ctype: "application/octet-stream"})
	wantRefusal(t, "a document that is not a PDF, JPEG or PNG", code, raw, http.StatusBadRequest, "invalid", "")
	w.do(call{who: "candidate", route: "POST /api/cabinet/documents", query: "kind=education", bearer: cab, good: true, body: tinyPDF, ctype: "application/pdf"})
	w.do(call{who: "candidate", route: "POST /api/cabinet/documents", query: "kind=nothing", bearer: cab, body: tinyPDF, ctype: "application/pdf"})
	w.do(call{who: "candidate", route: "POST /api/cabinet/documents", query: "kind=education", body: tinyPDF, ctype: "application/pdf"})
	code, raw = w.do(call{who: "candidate", route: "POST /api/cabinet/supplement", bearer: cab})
	wantRefusal(t, "completing a package HR did not find incomplete", code, raw, http.StatusConflict, "conflict", "p.73")
	w.do(call{who: "candidate", route: "POST /api/cabinet/supplement"})

	// ---- the candidate's cabinet, by sitting token
	w.do(call{who: "candidate", route: "GET /api/cabinet", bearer: d.SittingToken, good: true})
	w.do(call{who: "candidate", route: "GET /api/cabinet", bearer: "not-a-token"})
	w.do(call{who: "candidate", route: "POST /api/cabinet/appeal", bearer: d.SittingToken, body: jsonBody(t, map[string]string{"text": "I did nothing wrong", "lang": "en"})})
	w.do(call{who: "candidate", route: "POST /api/cabinet/appeal", bearer: d.SittingToken, body: []byte(`{"text":"x","extra":1}`), bad: true})

	// ---- HR's writes: bad input first, then a few that must work
	hrDo := func(route string, params map[string]string, body any, good bool) (int, []byte) {
		var b []byte
		if body != nil {
			if s, ok := body.(string); ok {
				b = []byte(s)
			} else {
				b = jsonBody(t, body)
			}
		}
		return w.do(call{who: "hr", client: hr, route: route, params: params, body: b, good: good, bad: !good})
	}
	pDo := func(route string, params map[string]string, body any, good bool) (int, []byte) {
		var b []byte
		if s, ok := body.(string); ok {
			b = []byte(s)
		} else {
			b = jsonBody(t, body)
		}
		return w.do(call{who: "proctor", client: proctor, route: route, params: params, body: b, good: good, bad: !good})
	}
	c0 := map[string]string{"id": comps[0].ID}
	today := time.Now().In(calendar.Zone).Format(time.DateOnly)
	code, raw = hrDo("POST /api/competitions", nil, map[string]any{"body": "no-such-body", "position": "expert", "opens": "2026-01-10", "deadline": "2026-01-20", "stages": []any{}}, true)
	wantRefusal(t, "a competition of an unknown state body", code, raw, http.StatusBadRequest, "invalid", "p.1")
	hrDo("POST /api/competitions", nil, map[string]any{"body": "min-justice", "position": "expert", "opens": "2026-01-20", "deadline": "2026-01-10"}, true)
	hrDo("POST /api/competitions", nil, `{"body":"min-justice","title":"unknown field"}`, false)
	code, raw = w.do(call{who: "hr", client: hr, route: "POST /api/competitions", body: []byte(`{}`), ctype: "text/plain"})
	wantRefusal(t, "a competition sent as text/plain", code, raw, http.StatusUnsupportedMediaType, "invalid", "")
	code, raw = hrDo("POST /api/competitions", nil, map[string]any{"body": "min-justice", "position": "expert, OpenAPI walk",
		"opens": today, "deadline": today, "stages": []any{}}, true)
	if code == http.StatusCreated {
		nc := decodeAs[idOnly](t, "create", raw)
		p := map[string]string{"id": nc.ID}
		_, raw := w.do(call{who: "hr", client: hr, route: "GET /api/commission/accounts", good: true})
		for _, a := range decodeAs[[]struct {
			ID   string `json:"id"`
			Role string `json:"role"`
		}](t, "GET /api/commission/accounts", raw) {
			if a.Role == "commission" {
				hrDo("POST /api/competitions/{id}/commission", p, map[string]string{"account": a.ID, "role": "member"}, true)
				hrDo("POST /api/competitions/{id}/commission/{account}/remove", map[string]string{"id": nc.ID, "account": a.ID},
					map[string]string{"grounds": "other", "reason": "OpenAPI walk"}, true)
				break
			}
		}
		hrDo("POST /api/competitions/{id}/commission/propose", p, map[string]int{"count": 1}, true)
		w.do(call{who: "assessor", client: staff[store.RoleAssessor], route: "POST /api/competitions/{id}/commission/confirm", params: p})
		hrDo("POST /api/competitions/{id}/publish", p, nil, true)
		hrDo("POST /api/competitions/{id}/publish", p, nil, true) // twice: 409
		hrDo("POST /api/competitions/{id}/cancel", p, map[string]string{"reason": ""}, true)
		hrDo("POST /api/competitions/{id}/cancel", p, map[string]string{"reason": "OpenAPI walk: not needed"}, true)
	}
	for _, c := range comps {
		p := map[string]string{"id": c.ID}
		hrDo("POST /api/competitions/{id}/start-stages", p, nil, true)
		hrDo("POST /api/competitions/{id}/interview/notify", p, nil, true)
		hrDo("POST /api/competitions/{id}/stages/{kind}/open", map[string]string{"id": c.ID, "kind": "essay"}, nil, true)
	}
	hrDo("POST /api/competitions/{id}/stages/{kind}/open", map[string]string{"id": comps[0].ID, "kind": "dancing"}, nil, false)
	hrDo("POST /api/competitions/{id}/commission/propose", c0, map[string]int{"count": 0}, false)
	hrDo("POST /api/competitions/{id}/commission", c0, map[string]string{"account": "nobody", "role": "assessor"}, true)
	hrDo("POST /api/competitions/{id}/commission/{account}/remove", map[string]string{"id": comps[0].ID, "account": "nobody"}, map[string]string{"grounds": "other", "reason": "walk"}, true)
	hrDo("POST /api/competitions/{id}/publish", map[string]string{"id": "no-such-competition"}, nil, true)
	w.do(call{who: "assessor", client: staff[store.RoleAssessor], route: "POST /api/competitions/{id}/commission/confirm", params: c0})
	w.do(call{who: "hr", client: hr, route: "POST /api/competitions/{id}/commission/confirm", params: c0})
	for _, a := range apps {
		p := map[string]string{"id": a.ID}
		hrDo("POST /api/applications/{id}/review", p, map[string]any{"outcome": "refused"}, true)
		hrDo("POST /api/applications/{id}/review", p, map[string]any{"outcome": "maybe"}, false)
	}
	hrDo("POST /api/applications/{id}/review", map[string]string{"id": apps[0].ID}, map[string]any{"outcome": "incomplete", "missing": []string{}}, true)
	hrDo("POST /api/applications/{id}/cabinet", map[string]string{"id": apps[0].ID}, nil, true)
	hrDo("POST /api/applications/{id}/cabinet", map[string]string{"id": "no-such-application"}, nil, true)

	// ---- sittings: HR and administrators
	s0 := map[string]string{"id": d.SittingID}
	hrDo("POST /api/sittings", nil, map[string]string{"competition": "", "stage": ""}, true)
	hrDo("POST /api/sittings", nil, `{"competition":"c","stage":"essay","pin":"1"}`, false)
	hrDo("POST /api/sittings/{id}/token", map[string]string{"id": "no-such-sitting"}, nil, true)
	code, raw = hrDo("POST /api/sittings", nil, map[string]string{"competition": d.Competition, "stage": "essay"}, true)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/sittings: %d %s", code, raw)
	}
	ns := decodeAs[struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}](t, "POST /api/sittings", raw)
	nsp := map[string]string{"id": ns.ID}
	hrDo("PUT /api/sittings/{id}/proctors", nsp, map[string][]string{"proctors": {d.ProctorUser}}, true)
	// An agent joins the new sitting, uploads evidence and cites it.
	ag := joinAgent(t, r.URL, ns.Token)
	defer ag.Close()
	walkConsent(t, w, ag)
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{0x42}, 200)...)
	code, raw = w.do(call{who: "agent", route: "POST /v1/evidence/{id}", params: map[string]string{"id": "snap-1"}, body: jpeg, ctype: "image/jpeg", bearer: ag.upload, good: true})
	if code != http.StatusCreated {
		t.Fatalf("evidence upload: %d %s", code, raw)
	}
	up := decodeAs[struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}](t, "evidence upload", raw)
	ag.event(t, protocol.Event{Seq: ag.seq + 1, Time: time.Now().UTC(), Rule: protocol.Rule10_1, Kind: protocol.KindInstant, Subject: "camera",
		Severity: protocol.SeverityInfo, Key: "camera.started",
		Evidence: []protocol.EvidenceRef{{ID: "snap-1", Kind: protocol.EvidenceSnapshot, MIME: "image/jpeg", SHA256: up.SHA256, Size: up.Size}}})
	for _, role := range []store.Role{store.RoleAdmin, store.RoleAuditor, store.RoleProctor} {
		w.do(call{who: string(role), client: staff[role], route: "GET /api/sittings/{id}/evidence/{sha}", params: map[string]string{"id": ns.ID, "sha": up.SHA256}, good: true})
	}
	// The ID document (rule 10.1): HR only (p.74-1), HR decides.
	idJPEG := append(append([]byte{}, jpeg...), []byte("an ID card")...)
	code, raw = w.do(call{who: "agent", route: "POST /v1/evidence/{id}", params: map[string]string{"id": "id-1"}, body: idJPEG, ctype: "image/jpeg", bearer: ag.upload, good: true})
	if code != http.StatusCreated {
		t.Fatalf("ID photo upload: %d %s", code, raw)
	}
	idUp := decodeAs[struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}](t, "ID photo upload", raw)
	ag.event(t, protocol.Event{Seq: ag.seq + 1, Time: time.Now().UTC(), Rule: protocol.Rule10_1, Kind: protocol.KindInstant, Subject: "id.photo",
		Severity: protocol.SeverityInfo, Key: "camera.started",
		Evidence: []protocol.EvidenceRef{{ID: "id-1", Kind: protocol.EvidenceIDPhoto, MIME: "image/jpeg", SHA256: idUp.SHA256, Size: idUp.Size}}})
	idp := map[string]string{"id": ns.ID, "sha": idUp.SHA256}
	for _, role := range []store.Role{store.RoleAuditor, store.RoleProctor} {
		if code, _ := w.do(call{who: string(role), client: staff[role], route: "GET /api/sittings/{id}/evidence/{sha}", params: idp}); code != http.StatusForbidden {
			t.Errorf("the %s fetched the ID photo: %d, want 403 (p.74-1)", role, code)
		}
	}
	w.do(call{who: "hr", client: hr, route: "GET /api/identity", good: true})
	w.do(call{who: "hr", client: hr, route: "GET /api/identity", query: "pending=true", good: true})
	w.do(call{who: "hr", client: hr, route: "GET /api/identity/{id}/images/{sha}", params: idp, good: true})
	w.do(call{who: "hr", client: hr, route: "GET /api/identity/{id}/images/{sha}", params: map[string]string{"id": ns.ID, "sha": strings.Repeat("0", 64)}})
	// A rejection without its reason and a second decision: refused by
	// the server, though the description accepts their shape.
	w.do(call{who: "hr", client: hr, route: "POST /api/identity/{id}", params: nsp, body: []byte(`{"outcome":"rejected"}`)})
	hrDo("POST /api/identity/{id}", nsp, map[string]string{"outcome": "confirmed"}, true)
	w.do(call{who: "hr", client: hr, route: "POST /api/identity/{id}", params: nsp, body: []byte(`{"outcome":"confirmed"}`)})
	hrDo("POST /api/identity/{id}", nsp, map[string]string{"outcome": "maybe"}, false)
	w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/sittings/{id}", params: nsp, good: true})
	w.do(call{who: "proctor", client: proctor, route: "POST /api/sittings/{id}/room-scan", params: nsp, body: []byte(`{"note":"walk"}`), good: true})
	_, raw = w.do(call{who: "proctor", client: proctor, route: "POST /api/sittings/{id}/warning", params: nsp, body: []byte(`{"rule":"10.4","text":"look at the screen"}`), good: true})
	walkAcknowledge(t, w, ag, decodeAs[struct {
		Record protocol.Record `json:"record"`
	}](t, "warning", raw).Record.N)
	// A flag, its review, a violation verdict, the candidate's appeal and
	// the auditor's decision: the appeal's answers in every view.
	ag.event(t, protocol.Event{Seq: ag.seq + 1, Time: time.Now().UTC(), Rule: protocol.Rule10_2, Kind: protocol.KindInstant, Subject: "persons",
		Severity: protocol.SeverityViolation, Key: "vision.persons", Args: map[string]string{"count": "2"}})
	_, raw = w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/sittings/{id}", params: nsp, good: true})
	flag := uint64(0)
	for _, rec := range decodeAs[struct {
		Records []struct {
			N     uint64 `json:"n"`
			Event *struct {
				Rule string `json:"rule"`
			} `json:"event"`
		} `json:"records"`
	}](t, "timeline", raw).Records {
		if rec.Event != nil && rec.Event.Rule == "10.2" {
			flag = rec.N
		}
	}
	if flag == 0 {
		t.Fatal("the timeline does not show the 10.2 event the agent sent")
	}
	fp := map[string]string{"id": ns.ID, "n": fmt.Sprint(flag)}
	pDo("POST /api/sittings/{id}/flags/{n}/review", fp, map[string]string{"decision": "confirm", "note": "two people in view"}, true)
	pDo("POST /api/sittings/{id}/end", nsp, map[string]string{"reason": "OpenAPI walk"}, true)
	if code, raw := pDo("POST /api/sittings/{id}/verdict", nsp, map[string]any{"outcome": "violation", "rules": []string{"10.2"}, "evidence": []uint64{flag}}, true); code != http.StatusCreated {
		t.Fatalf("publish a violation: %d %s", code, raw)
	}
	w.do(call{who: "candidate", route: "GET /api/cabinet", bearer: ns.Token, good: true})
	if code, raw := w.do(call{who: "candidate", route: "POST /api/cabinet/appeal", bearer: ns.Token, good: true,
		body: jsonBody(t, map[string]string{"text": "The second person was on a poster", "lang": "en"})}); code != http.StatusCreated {
		t.Fatalf("appeal: %d %s", code, raw)
	}
	w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/sittings", query: "appeal=pending", good: true})
	if code, raw := w.do(call{who: "auditor", client: auditor, route: "POST /api/replay/sittings/{id}/appeal/decision", params: nsp, good: true,
		body: jsonBody(t, map[string]string{"outcome": "overturned", "reasons": "the poster is visible on the reference snapshot"})}); code != http.StatusOK {
		t.Fatalf("decide the appeal: %d %s", code, raw)
	}
	w.do(call{who: "candidate", route: "GET /api/cabinet", bearer: ns.Token, good: true})
	w.do(call{who: "auditor", client: auditor, route: "GET /api/replay/sittings", query: "appeal=any", good: true})
	for _, route := range []string{"GET /api/replay/sittings/{id}", "GET /api/replay/sittings/{id}/proofs", "GET /api/replay/sittings/{id}/verify"} {
		w.do(call{who: "auditor", client: auditor, route: route, params: nsp, good: true})
	}
	w.do(call{who: "hr", client: hr, route: "GET /api/sittings/{id}/verdict", params: nsp, good: true})
	hrDo("POST /api/sittings/{id}/token", nsp, nil, true)
	hrDo("PUT /api/sittings/{id}/proctors", s0, map[string][]string{"proctors": {"nobody"}}, true)
	hrDo("PUT /api/sittings/{id}/proctors", s0, map[string][]string{"proctors": {d.ProctorUser}}, true)
	w.do(call{who: "admin", client: admin, route: "GET /api/stats", good: true})

	// ---- the proctor's actions on the demo sitting
	pDo("POST /api/sittings/{id}/room-scan", s0, map[string]string{"note": "walk"}, true)
	pDo("POST /api/sittings/{id}/message", s0, map[string]string{"text": ""}, true)
	pDo("POST /api/sittings/{id}/message", s0, map[string]string{"text": "Please look at the camera"}, true)
	pDo("POST /api/sittings/{id}/warning", s0, map[string]string{"rule": "10.99", "text": "x"}, false)
	pDo("POST /api/sittings/{id}/pause", s0, map[string]string{"note": "walk"}, true)
	pDo("POST /api/sittings/{id}/resume", s0, map[string]string{"note": "walk"}, true)
	pDo("POST /api/sittings/{id}/end", map[string]string{"id": "no-such-sitting"}, map[string]string{"reason": "walk"}, true)
	pDo("POST /api/sittings/{id}/end", s0, `{"reason":"x","why":"unknown field"}`, false)
	pDo("POST /api/sittings/{id}/flags/{n}/review", map[string]string{"id": d.SittingID, "n": "abc"}, map[string]string{"decision": "confirm", "note": "x"}, true)
	pDo("POST /api/sittings/{id}/flags/{n}/review", map[string]string{"id": d.SittingID, "n": "999999"}, map[string]string{"decision": "confirm", "note": "x"}, true)
	pDo("POST /api/sittings/{id}/verdict", s0, map[string]any{"outcome": "clean"}, true) // not ended: 409
	pDo("POST /api/sittings/{id}/end", s0, map[string]string{"reason": "OpenAPI walk"}, true)
	pDo("POST /api/sittings/{id}/verdict", s0, map[string]any{"outcome": "violation", "rules": []string{"10.2"}}, true)
	pDo("POST /api/sittings/{id}/verdict", s0, map[string]any{"outcome": "clean"}, true)
	pDo("POST /api/sittings/{id}/message", s0, map[string]string{"text": "after the end"}, true)
	// The sitting now has records, log entries and a verdict: read it
	// again as everyone who may.
	for _, role := range []store.Role{store.RoleProctor, store.RoleAdmin, store.RoleHR, store.RoleAuditor, store.RoleCommittee} {
		w.do(call{who: string(role), client: staff[role], route: "GET /api/sittings/{id}/verdict", params: s0, good: true})
	}
	for _, route := range []string{"GET /api/replay/sittings/{id}", "GET /api/replay/sittings/{id}/proofs", "GET /api/replay/sittings/{id}/verify"} {
		w.do(call{who: "auditor", client: auditor, route: route, params: s0, good: true})
	}
	w.do(call{who: "candidate", route: "GET /api/cabinet", bearer: d.SittingToken, good: true})
	w.do(call{who: "candidate", route: "POST /api/cabinet/appeal", bearer: d.SittingToken, body: jsonBody(t, map[string]string{"text": "I did nothing wrong", "lang": "en"}), good: true})

	// ---- the auditor's appeal decision
	w.do(call{who: "auditor", client: auditor, route: "POST /api/replay/sittings/{id}/appeal/decision", params: s0, good: true,
		body: jsonBody(t, map[string]string{"outcome": "upheld", "reasons": "walk"})})
	w.do(call{who: "auditor", client: auditor, route: "POST /api/replay/sittings/{id}/appeal/decision", params: s0,
		body: jsonBody(t, map[string]string{"outcome": "maybe", "reasons": "walk"}), bad: true})

	// ---- the stages: the essay, signed grades, the interview, results
	walkStages(t, w, r, staff)
	walkTests(t, w, r, staff, clk)
	walkLegislation(t, w, r, staff, clk)

	// ---- the WebSocket channels: a plain GET is refused, an upgrade
	// switches protocols (the tokens are checked inside the protocol).
	w.do(call{who: "proctor", client: proctor, route: "GET /v1/view"})
	w.upgrade("proctor", proctor, "GET /v1/view")
	w.upgrade("agent", nil, "GET /v1/agent")
	w.upgrade("candidate page", nil, "GET /v1/candidate")

	// ---- logging out ends the session
	w.do(call{who: "proctor", client: proctor, route: "POST /api/logout", good: true})
	if code, _ := w.do(call{who: "proctor (logged out)", client: proctor, route: "GET /api/me"}); code != http.StatusUnauthorized {
		t.Errorf("GET /api/me after logout: %d, want 401", code)
	}

	// Every refusal's key is in the catalogue, so the user reads it in kk,
	// ru or en. The workflow's keys (workflow.err.*) come with
	// protocol/i18n/messages/workflow.json; until that file exists they are
	// listed, not failed on.
	_, haveWorkflowTexts := os.Stat(filepath.Join("..", "..", "protocol", "i18n", "messages", "workflow.json"))
	var pending []string
	for key, route := range w.keys {
		if _, ok := catalogue[key]; ok {
			continue
		}
		if strings.HasPrefix(key, "workflow.") && haveWorkflowTexts != nil {
			pending = append(pending, key)
			continue
		}
		t.Errorf("%s refused with key %q, which GET /api/i18n does not have", route, key)
	}
	if len(pending) > 0 {
		sort.Strings(pending)
		t.Logf("protocol/i18n/messages/workflow.json does not exist yet; refusal keys waiting for it: %s", strings.Join(pending, " "))
	}
	if len(w.keys) < 10 {
		t.Errorf("the walk saw only %d refusal keys; did the refusals lose their keys?", len(w.keys))
	}

	// Every route of the description was answered and validated.
	var missing []string
	for route := range w.ops {
		if w.seen[route] == 0 {
			missing = append(missing, route)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no validated answer for %d route(s) of %s (add them to the walk):\n  %s", len(missing), specPath, strings.Join(missing, "\n  "))
	}
	total := 0
	for _, n := range w.seen {
		total += n
	}
	t.Logf("%d answers of %d routes validated against %s", total, len(w.seen), specPath)
	if testing.Verbose() {
		routes := make([]string, 0, len(w.statuses))
		for route := range w.statuses {
			routes = append(routes, route)
		}
		sort.Strings(routes)
		for _, route := range routes {
			t.Logf("  %-60s %v", route, w.statuses[route])
		}
	}
}

// walkAccounts manages a staff account the walk creates, so the demo
// accounts (and their sessions the rest of the walk uses) stay as they
// are: the administrator creates it with a generated password, it logs in
// and changes its own password, the administrator lists it and its
// sessions, ends them, disables, enables and resets it; every other role
// is refused.
func walkAccounts(t *testing.T, w *conformance, adminUser string, staff map[store.Role]*http.Client) {
	t.Helper()
	admin := staff[store.RoleAdmin]
	type view struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Disabled bool   `json:"disabled"`
		Sessions int    `json:"sessions"`
	}
	type withPassword struct {
		Account  view    `json:"account"`
		Password *string `json:"password"`
	}
	aDo := func(route string, params map[string]string, body any, good bool) (int, []byte) {
		var b []byte
		if s, ok := body.(string); ok {
			b = []byte(s)
		} else if body != nil {
			b = jsonBody(t, body)
		}
		return w.do(call{who: "admin", client: admin, route: route, params: params, body: b, good: good, bad: !good})
	}

	// Refusals of a new account's input.
	code, raw := aDo("POST /api/accounts", nil, map[string]string{"username": "walk.short", "role": "proctor", "password": "short"}, false)
	wantRefusal(t, "an account with a 5-character password", code, raw, http.StatusBadRequest, "invalid_password", "")
	aDo("POST /api/accounts", nil, map[string]string{"username": "walk.king", "role": "king"}, false)
	aDo("POST /api/accounts", nil, `{"username":"walk.extra","role":"hr","admin":true}`, false)
	code, raw = aDo("POST /api/accounts", nil, map[string]string{"username": "Walk Upper", "role": "proctor"}, true)
	wantRefusal(t, "an account with a space in its username", code, raw, http.StatusBadRequest, "invalid_username", "")
	code, raw = aDo("POST /api/accounts", nil, map[string]string{"username": adminUser, "role": "proctor"}, true)
	wantRefusal(t, "an account with a taken username", code, raw, http.StatusConflict, "exists", "")

	// A new account; the server generates its password and returns it once.
	code, raw = aDo("POST /api/accounts", nil, map[string]string{"username": "walk.proctor", "role": "proctor"}, true)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/accounts: %d %s", code, raw)
	}
	made := decodeAs[withPassword](t, "POST /api/accounts", raw)
	if made.Password == nil || len(*made.Password) < 12 || made.Account.ID == "" || made.Account.Username != "walk.proctor" {
		t.Fatalf("POST /api/accounts without a password: want the account and a generated password: %s", raw)
	}
	id := map[string]string{"id": made.Account.ID}
	pass := *made.Password

	// Every other role is refused every account route; the new account's
	// login works with the generated password.
	for role, c := range staff {
		if role == store.RoleAdmin {
			continue
		}
		for _, rc := range []struct {
			route string
			body  []byte
		}{
			{"GET /api/accounts", nil},
			{"POST /api/accounts", jsonBody(t, map[string]string{"username": "walk.other", "role": "admin"})},
			{"POST /api/accounts/{id}/disable", []byte(`{}`)},
			{"POST /api/accounts/{id}/enable", []byte(`{}`)},
			{"POST /api/accounts/{id}/password", []byte(`{}`)},
			{"GET /api/accounts/{id}/sessions", nil},
			{"DELETE /api/accounts/{id}/sessions", nil},
		} {
			if code, _ := w.do(call{who: string(role), client: c, route: rc.route, params: id, body: rc.body, good: true}); code != http.StatusForbidden {
				t.Errorf("%s as %s: %d, want 403 (administrators only)", rc.route, role, code)
			}
		}
	}
	mine := client()
	if code, raw := w.do(call{who: "walk.proctor", client: mine, route: "POST /api/login", good: true,
		body: jsonBody(t, map[string]string{"username": "walk.proctor", "password": pass})}); code != http.StatusOK {
		t.Fatalf("log in with the generated password: %d %s", code, raw)
	}

	// Its own password: the current one required, a different new one.
	code, raw = w.do(call{who: "walk.proctor", client: mine, route: "POST /api/me/password", good: true,
		body: jsonBody(t, map[string]string{"current_password": "not the password", "new_password": "walk proctor new password"})})
	wantRefusal(t, "a password change with a wrong current password", code, raw, http.StatusBadRequest, "wrong_password", "")
	code, raw = w.do(call{who: "walk.proctor", client: mine, route: "POST /api/me/password", good: true,
		body: jsonBody(t, map[string]string{"current_password": pass, "new_password": pass})})
	wantRefusal(t, "a password change to the same password", code, raw, http.StatusBadRequest, "same_password", "")
	w.do(call{who: "walk.proctor", client: mine, route: "POST /api/me/password", bad: true,
		body: jsonBody(t, map[string]string{"current_password": pass, "new_password": "short"})})
	w.do(call{who: "public", route: "POST /api/me/password", body: jsonBody(t, map[string]string{"current_password": pass, "new_password": "walk proctor new password"})})
	if code, raw := w.do(call{who: "walk.proctor", client: mine, route: "POST /api/me/password", good: true,
		body: jsonBody(t, map[string]string{"current_password": pass, "new_password": "walk proctor new password"})}); code != http.StatusOK {
		t.Fatalf("change one's own password: %d %s", code, raw)
	}
	// The session that made the change stays.
	if code, raw := w.do(call{who: "walk.proctor", client: mine, route: "GET /api/me", good: true}); code != http.StatusOK {
		t.Errorf("GET /api/me after changing one's password: %d %s", code, raw)
	}

	// The administrator's view: the list, its one session, ending it.
	_, raw = aDo("GET /api/accounts", nil, nil, true)
	var listed *view
	for _, a := range decodeAs[struct {
		Accounts []view `json:"accounts"`
	}](t, "GET /api/accounts", raw).Accounts {
		if a.ID == made.Account.ID {
			listed = &a
		}
	}
	if listed == nil || listed.Sessions != 1 || listed.Disabled {
		t.Errorf("GET /api/accounts: want walk.proctor enabled with 1 session: %+v\n%s", listed, raw)
	}
	_, raw = aDo("GET /api/accounts/{id}/sessions", id, nil, true)
	if ses := decodeAs[struct {
		Sessions []struct {
			Current bool `json:"current"`
		} `json:"sessions"`
	}](t, "GET /api/accounts/{id}/sessions", raw).Sessions; len(ses) != 1 || ses[0].Current {
		t.Errorf("GET /api/accounts/{id}/sessions: want walk.proctor's one session, not the administrator's: %s", raw)
	}
	aDo("GET /api/accounts/{id}/sessions", map[string]string{"id": "no-such-account"}, nil, true)
	_, raw = aDo("DELETE /api/accounts/{id}/sessions", id, nil, true)
	if n := decodeAs[struct {
		Ended int `json:"ended"`
	}](t, "DELETE /api/accounts/{id}/sessions", raw).Ended; n != 1 {
		t.Errorf("DELETE /api/accounts/{id}/sessions ended %d sessions, want 1: %s", n, raw)
	}
	code, raw = w.do(call{who: "walk.proctor (sessions ended)", client: mine, route: "GET /api/me"})
	wantRefusal(t, "GET /api/me after the administrator ended the sessions", code, raw, http.StatusUnauthorized, "session_ended", "")
	aDo("DELETE /api/accounts/{id}/sessions", map[string]string{"id": "no-such-account"}, nil, true)

	// Disable and enable, each once too often; nobody disables themself.
	code, raw = aDo("POST /api/accounts/{id}/disable", id, `{}`, true)
	if code != http.StatusOK || !decodeAs[struct {
		Account view `json:"account"`
	}](t, "disable", raw).Account.Disabled {
		t.Errorf("POST /api/accounts/{id}/disable: %d %s", code, raw)
	}
	code, raw = aDo("POST /api/accounts/{id}/disable", id, `{}`, true)
	wantRefusal(t, "disabling a disabled account", code, raw, http.StatusConflict, "already_disabled", "")
	aDo("POST /api/accounts/{id}/disable", id, `{"why":"unknown field"}`, false)
	code, raw = aDo("POST /api/accounts/{id}/enable", id, `{}`, true)
	if code != http.StatusOK || decodeAs[struct {
		Account view `json:"account"`
	}](t, "enable", raw).Account.Disabled {
		t.Errorf("POST /api/accounts/{id}/enable: %d %s", code, raw)
	}
	code, raw = aDo("POST /api/accounts/{id}/enable", id, `{}`, true)
	wantRefusal(t, "enabling an enabled account", code, raw, http.StatusConflict, "not_disabled", "")
	aDo("POST /api/accounts/{id}/enable", map[string]string{"id": "no-such-account"}, `{}`, true)
	var adminID string
	_, raw = aDo("GET /api/accounts", nil, nil, true)
	for _, a := range decodeAs[struct {
		Accounts []view `json:"accounts"`
	}](t, "GET /api/accounts", raw).Accounts {
		if a.Username == adminUser {
			adminID = a.ID
		}
	}
	if adminID == "" {
		t.Fatalf("GET /api/accounts does not list the demo administrator %q: %s", adminUser, raw)
	}
	code, raw = aDo("POST /api/accounts/{id}/disable", map[string]string{"id": adminID}, `{}`, true)
	wantRefusal(t, "an administrator disabling their own account", code, raw, http.StatusConflict, "self_disable", "")

	// Reset: a given password is not returned, an empty one is generated
	// and returned once.
	code, raw = aDo("POST /api/accounts/{id}/password", id, map[string]string{"password": "short"}, false)
	wantRefusal(t, "a reset to a 5-character password", code, raw, http.StatusBadRequest, "invalid_password", "")
	code, raw = aDo("POST /api/accounts/{id}/password", id, map[string]string{"password": "walk proctor reset password"}, true)
	if code != http.StatusOK || decodeAs[withPassword](t, "reset", raw).Password != nil {
		t.Errorf("reset to a given password: want 200 without a password in the answer: %d %s", code, raw)
	}
	code, raw = aDo("POST /api/accounts/{id}/password", id, `{}`, true)
	if reset := decodeAs[withPassword](t, "reset", raw); code != http.StatusOK || reset.Password == nil || *reset.Password == pass {
		t.Errorf("reset without a password: want 200 and a new generated password: %d %s", code, raw)
	}
	aDo("POST /api/accounts/{id}/password", map[string]string{"id": "no-such-account"}, `{}`, true)
}

// paramSets gives the path parameters to call a GET route with: each
// competition, application, document, sitting, evidence file and recording
// the demo has, and an id that does not exist.
func paramSets(route string, comps []idOnly, apps []appIDs, sittings []string, evidence, recordings map[string][]string) []map[string]string {
	_, pattern, _ := strings.Cut(route, " ")
	var out []map[string]string
	switch {
	case !strings.Contains(pattern, "{"):
		return []map[string]string{nil}
	case strings.HasPrefix(pattern, "/api/competitions/{id}"):
		for _, c := range comps {
			out = append(out, map[string]string{"id": c.ID})
		}
		out = append(out, map[string]string{"id": "no-such-competition"})
	case pattern == "/api/applications/{id}/documents/{doc}":
		for _, a := range apps {
			for _, doc := range a.Documents {
				out = append(out, map[string]string{"id": a.ID, "doc": doc.ID})
			}
		}
		if len(apps) > 0 {
			out = append(out, map[string]string{"id": apps[0].ID, "doc": "no-such-document"})
		}
	case pattern == "/api/grading/essays/{app}":
		for _, a := range apps {
			out = append(out, map[string]string{"app": a.ID})
		}
		out = append(out, map[string]string{"app": "no-such-application"})
	case strings.HasPrefix(pattern, "/api/applications/{id}"):
		for _, a := range apps {
			out = append(out, map[string]string{"id": a.ID})
		}
		out = append(out, map[string]string{"id": "no-such-application"})
	case strings.HasSuffix(pattern, "/evidence/{sha}"), pattern == "/api/identity/{id}/images/{sha}":
		for _, s := range sittings {
			for _, sha := range evidence[s] {
				out = append(out, map[string]string{"id": s, "sha": sha})
			}
		}
	case strings.HasSuffix(pattern, "/recordings/{name}"):
		for _, s := range sittings {
			for _, name := range recordings[s] {
				out = append(out, map[string]string{"id": s, "name": name})
			}
		}
	case pattern == "/api/banks/{bank}":
		// The default bank of the personal-qualities stage, and one
		// nothing was imported into.
		out = append(out, map[string]string{"bank": "personal_qualities"}, map[string]string{"bank": "no-such-bank"})
	case strings.HasPrefix(pattern, "/api/accounts/{id}"):
		// The walk's accounts section calls these with real ids.
		out = append(out, map[string]string{"id": "no-such-account"})
	case strings.Contains(pattern, "/sittings/{id}"):
		for _, s := range sittings {
			out = append(out, map[string]string{"id": s})
		}
		out = append(out, map[string]string{"id": "no-such-sitting"})
	default:
		panic("paramSets: no ids for " + route)
	}
	return out
}

// wantRefusal checks that a refusal says what the description promises:
// its status and code, a catalogue key, and for a clause's refusal the
// clause in args.clause and at the start of the message.
func wantRefusal(t *testing.T, what string, status int, raw []byte, wantStatus int, wantCode, clause string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string            `json:"code"`
			Key     string            `json:"key"`
			Args    map[string]string `json:"args"`
			Message string            `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	got := e.Error
	switch {
	case status != wantStatus || got.Code != wantCode:
		t.Errorf("%s: %d %q, want %d %q: %s", what, status, got.Code, wantStatus, wantCode, raw)
	case got.Message == "":
		t.Errorf("%s: the refusal has no message: %s", what, raw)
	case clause != "" && (got.Args["clause"] != clause || !strings.HasPrefix(got.Message, clause+": ") || got.Key == ""):
		t.Errorf("%s: want the clause %s in args.clause, a key, and the message starting %q: %s", what, clause, clause+": ", raw)
	}
}

type idOnly struct {
	ID string `json:"id"`
}

type appIDs struct {
	ID        string   `json:"id"`
	Documents []idOnly `json:"documents"`
}

// tinyPDF is the smallest file the server takes as a PDF.
var tinyPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// TestOpenAPIValidationCanFail: the validator the walk relies on refuses
// what the description forbids — a null list, an unknown field, a wrong
// enum value, an undocumented status — so a drifting handler fails the walk.
func TestOpenAPIValidationCanFail(t *testing.T) {
	doc := loadSpec(t)
	ops := specRoutes(doc)
	check := func(route string, status int, body string) error {
		method, pattern, _ := strings.Cut(route, " ")
		req, _ := http.NewRequest(method, "http://kuzet.test"+pattern, nil)
		in := &openapi3filter.RequestValidationInput{Request: req,
			Route: &routers.Route{Spec: doc, Path: pattern, PathItem: doc.Paths.Value(pattern), Method: method, Operation: ops[route]}}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status,
			Header:  http.Header{"Content-Type": {"application/json; charset=utf-8"}},
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		out.SetBodyBytes([]byte(body))
		return openapi3filter.ValidateResponse(context.Background(), out)
	}
	if err := check("GET /api/me", 200, `{"username":"hr","role":"hr"}`); err != nil {
		t.Fatalf("a good answer is refused: %v", err)
	}
	for _, bad := range []struct {
		route  string
		status int
		body   string
	}{
		{"GET /api/me", 200, `{"username":"hr","role":"king"}`},
		{"GET /api/me", 200, `{"username":"hr","role":"hr","iin":"880214300015"}`},
		{"GET /api/me", 200, `{"username":"hr"}`},
		{"GET /api/me", 418, `{"username":"hr","role":"hr"}`},
		{"GET /api/bodies", 200, `null`},
		{"GET /api/competitions/{id}/pins", 200, `[{"pin":"12345678","sittings":null}]`},
		{"GET /api/me", 401, `{"error":{"message":"log in first"}}`},
	} {
		if err := check(bad.route, bad.status, bad.body); err == nil {
			t.Errorf("%s %d %s: accepted, but the description forbids it", bad.route, bad.status, bad.body)
		}
	}
}

// TestP74_1_DescriptionShowsPersonalDataToHROnly: p.74-1 in the API's
// description. No answer of a route that anyone but HR and administrators
// may call (the authorisation table) can hold the Personal schema or a
// field named iin, email or phone, at any depth.
func TestP74_1_DescriptionShowsPersonalDataToHROnly(t *testing.T) {
	doc := loadSpec(t)
	ops := specRoutes(doc)
	personal := doc.Components.Schemas["Personal"]
	if personal == nil || personal.Value == nil {
		t.Fatal("the description has no Personal schema")
	}
	hrOnly := func(rule authz.Rule) bool {
		for _, p := range rule.Who {
			if p != authz.Staff(store.RoleHR) && p != authz.Staff(store.RoleAdmin) {
				return false
			}
		}
		return true
	}
	var reaches func(s *openapi3.Schema, path string, seen map[*openapi3.Schema]bool) string
	reaches = func(s *openapi3.Schema, path string, seen map[*openapi3.Schema]bool) string {
		if s == nil || seen[s] {
			return ""
		}
		seen[s] = true
		if s == personal.Value {
			return path + " (Personal)"
		}
		for name, p := range s.Properties {
			switch name {
			case "iin", "email", "phone":
				return path + "." + name
			}
			if found := reaches(p.Value, path+"."+name, seen); found != "" {
				return found
			}
		}
		if s.Items != nil {
			if found := reaches(s.Items.Value, path+"[]", seen); found != "" {
				return found
			}
		}
		if s.AdditionalProperties.Schema != nil {
			if found := reaches(s.AdditionalProperties.Schema.Value, path+".*", seen); found != "" {
				return found
			}
		}
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, sub := range group {
				if found := reaches(sub.Value, path, seen); found != "" {
					return found
				}
			}
		}
		return ""
	}
	checked, hr := 0, 0
	for _, rule := range authz.Table() {
		op := ops[rule.Route]
		if op == nil {
			t.Errorf("%s is not described", rule.Route)
			continue
		}
		if hrOnly(rule) {
			hr++
			continue
		}
		for status, resp := range op.Responses.Map() {
			for ctype, media := range resp.Value.Content {
				if media.Schema == nil {
					continue
				}
				if found := reaches(media.Schema.Value, "body", map[*openapi3.Schema]bool{}); found != "" {
					t.Errorf("p.74-1: %s (for %v) answers %s %s with personal data at %s", rule.Route, rule.Who, status, ctype, found)
				}
				checked++
			}
		}
	}
	// The check sees personal data where it is meant to be.
	apps := ops["GET /api/competitions/{id}/applications"].Responses.Status(200).Value.Content["application/json"].Schema.Value
	if reaches(apps, "body", map[*openapi3.Schema]bool{}) == "" {
		t.Fatal("the check does not find the personal data in HR's applications; it would miss a leak")
	}
	if checked < 100 || hr < 10 {
		t.Fatalf("checked %d answers of non-HR routes and skipped %d HR routes; the table or the description shrank?", checked, hr)
	}
}

// walkConsent gives the new sitting's consent as the candidate page would:
// a refusal, then the agreement, which stands; wrong tokens, languages and
// notices are refused, and the agent is told.
func walkConsent(t *testing.T, w *conformance, ag *agentConn) {
	t.Helper()
	if ag.page == "" || ag.consent.Given || ag.consent.Declined {
		t.Fatalf("the welcome: page token %q, consent %+v", ag.page, ag.consent)
	}
	notice := consent.Notice(365 * 24 * time.Hour).Digest
	if code, raw := w.do(call{who: "candidate", route: "GET /v1/consent", bearer: ag.page, good: true}); code != http.StatusOK || !strings.Contains(string(raw), notice) {
		t.Fatalf("the notice: %d %s", code, raw)
	}
	if code, _ := w.do(call{who: "candidate", route: "GET /v1/consent", bearer: "no-such-page"}); code != http.StatusUnauthorized {
		t.Errorf("the notice with a wrong page token: %d", code)
	}
	body := func(given bool, notice, lang string) []byte {
		raw, _ := json.Marshal(protocol.ConsentDecision{Given: given, Notice: notice, Lang: lang})
		return raw
	}
	post := func(bearer string, b []byte, good, bad bool) (int, []byte) {
		return w.do(call{who: "candidate", route: "POST /v1/consent", body: b, ctype: "application/json", bearer: bearer, good: good, bad: bad})
	}
	if code, _ := post("", body(true, notice, "kk"), false, false); code != http.StatusUnauthorized {
		t.Errorf("consent without a page token: %d", code)
	}
	if code, _ := post("not-a-page-token", body(true, notice, "kk"), false, false); code != http.StatusUnauthorized {
		t.Errorf("consent with a wrong page token: %d", code)
	}
	if code, _ := post(ag.page, body(true, notice, "de"), false, true); code != http.StatusBadRequest {
		t.Errorf("consent in German: %d", code)
	}
	if code, raw := post(ag.page, body(true, strings.Repeat("0", 64), "kk"), true, false); code != http.StatusConflict || !strings.Contains(string(raw), "notice_changed") {
		t.Errorf("consent to another notice: %d %s", code, raw)
	}
	if code, _ := w.do(call{who: "candidate", route: "POST /v1/consent", body: []byte("yes"), ctype: "text/plain", bearer: ag.page}); code != http.StatusUnsupportedMediaType {
		t.Errorf("consent as text: %d", code)
	}
	if code, raw := post(ag.page, body(false, notice, "ru"), true, false); code != http.StatusOK || !strings.Contains(string(raw), `"declined":true`) {
		t.Fatalf("refusal: %d %s", code, raw)
	}
	if code, raw := post(ag.page, body(true, notice, "kk"), true, false); code != http.StatusOK || !strings.Contains(string(raw), `"given":true`) {
		t.Fatalf("consent: %d %s", code, raw)
	}
	if code, _ := post(ag.page, body(true, notice, "kk"), true, false); code != http.StatusOK {
		t.Errorf("the same consent again: %d", code)
	}
	if code, raw := post(ag.page, body(false, notice, "kk"), true, false); code != http.StatusConflict || !strings.Contains(string(raw), "consent_given") {
		t.Errorf("a refusal after consent: %d %s", code, raw)
	}
	// The agent heard both decisions, in order.
	for _, want := range []string{"false", "true"} {
		m := ag.next(t, func(m protocol.Message) bool {
			c, ok := m.(*protocol.Command)
			return ok && c.Kind == protocol.CommandConsent
		})
		if got := m.(*protocol.Command).Args["given"]; got != want {
			t.Fatalf("the agent's consent command: given=%s, want %s", got, want)
		}
	}
}

// walkAcknowledge: the candidate acknowledges the proctor's warning in
// record n (201, then 200 with the same record); a record that is no
// message or warning is refused.
func walkAcknowledge(t *testing.T, w *conformance, ag *agentConn, n uint64) {
	t.Helper()
	ack := func(rec uint64, good bool) (int, []byte) {
		b, _ := json.Marshal(protocol.Acknowledgement{Record: rec})
		return w.do(call{who: "candidate", route: "POST /v1/acknowledge", body: b, ctype: "application/json", bearer: ag.page, good: good})
	}
	code, first := ack(n, true)
	if code != http.StatusCreated || !strings.Contains(string(first), `"kind":"acknowledged"`) {
		t.Fatalf("acknowledge the warning: %d %s", code, first)
	}
	if code, again := ack(n, true); code != http.StatusOK || string(again) != string(first) {
		t.Errorf("acknowledge it again: %d %s, want 200 %s", code, again, first)
	}
	if code, _ := ack(1, true); code != http.StatusNotFound {
		t.Errorf("acknowledge a record that is no message: %d", code)
	}
	if code, _ := ack(0, false); code != http.StatusBadRequest {
		t.Errorf("acknowledge record 0: %d", code)
	}
	if code, _ := w.do(call{who: "candidate", route: "POST /v1/acknowledge", body: []byte(`{"record":1}`), ctype: "application/json", bearer: "no-such-page"}); code != http.StatusUnauthorized {
		t.Errorf("acknowledge with a wrong page token: %d", code)
	}
}
