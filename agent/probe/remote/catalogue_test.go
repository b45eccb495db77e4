package remote

import (
	"strings"
	"testing"
)

func TestShippedCatalogue(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("the shipped catalogue is broken: %v", err)
	}
	tools := c.Tools()
	if len(tools) < 40 {
		t.Errorf("catalogue has %d tools; rule 10.9 asks for at least 40", len(tools))
	}
	// The tools issue 3 names, by catalogue id.
	for _, id := range []string{
		"teamviewer", "anydesk", "rustdesk", "todesk", "chrome-remote-desktop",
		"tightvnc", "ultravnc", "realvnc", "tigervnc", "x11vnc", "xvnc", "vino", "krfb", "wayvnc", "macos-screen-sharing",
		"windows-remote-desktop", "xrdp", "gnome-remote-desktop", "splashtop", "logmein", "goto-resolve", "parsec",
		"zoho-assist", "screenconnect", "ammyy", "aeroadmin", "radmin", "supremo", "nomachine", "remote-utilities",
		"netsupport", "quick-assist", "meshcentral", "dwservice", "ultraviewer", "mouse-without-borders",
		"zoom", "microsoft-teams", "skype", "webex", "discord", "telegram",
	} {
		if _, ok := c.Tool(id); !ok {
			t.Errorf("catalogue lacks %q", id)
		}
	}
	cats := map[Category]int{}
	for _, tool := range tools {
		cats[tool.Category]++
		if tool.Notes == "" {
			t.Errorf("%s has no notes", tool.ID)
		}
	}
	for _, cat := range []Category{CategoryRemoteControl, CategoryVNC, CategoryRDP, CategoryScreenSharing, CategoryInputSharing} {
		if cats[cat] == 0 {
			t.Errorf("no tool in category %s", cat)
		}
	}
	for _, id := range []string{"zoom", "microsoft-teams", "skype", "webex", "discord", "telegram"} {
		if tool, _ := c.Tool(id); tool.Category != CategoryScreenSharing {
			t.Errorf("%s is in %s, want its own screen_sharing category", id, tool.Category)
		}
	}
}

func TestParseRejects(t *testing.T) {
	ok := `{"id":"a","name":"A","category":"vnc","processes":{"linux":["a"]},"notes":"n"}`
	cases := []struct{ name, doc, want string }{
		{"not json", `{`, "not a catalogue document"},
		{"unknown field", `{"version":1,"tools":[],"extra":1}`, "unknown field"},
		{"version", `{"version":2,"tools":[]}`, "version 2"},
		{"duplicate id", `{"version":1,"tools":[` + ok + `,` + ok + `]}`, "appears twice"},
		{"unknown category", `{"version":1,"tools":[{"id":"a","name":"A","category":"spy","processes":{"linux":["a"]},"notes":""}]}`, `category "spy"`},
		{"unknown os", `{"version":1,"tools":[{"id":"a","name":"A","category":"vnc","processes":{"plan9":["a"]},"notes":""}]}`, `OS "plan9"`},
		{"nothing to match", `{"version":1,"tools":[{"id":"a","name":"A","category":"vnc","processes":{},"notes":""}]}`, "no process name"},
		{"bad port", `{"version":1,"tools":[{"id":"a","name":"A","category":"vnc","processes":{"linux":["a"]},"ports":[{"proto":"sctp","from":1,"to":1}],"notes":""}]}`, "port"},
		{"upper id", `{"version":1,"tools":[{"id":"A","name":"A","category":"vnc","processes":{"linux":["a"]},"notes":""}]}`, "lowercase"},
		{"upper path", `{"version":1,"tools":[{"id":"a","name":"A","category":"vnc","path_contains":["/Opt/"],"notes":""}]}`, "lowercase"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		goos string
		p    ProcessInfo
		tool string
		by   MatchBy
	}{
		{"linux name", "linux", ProcessInfo{Name: "anydesk"}, "anydesk", ByName},
		{"windows exe name any case", "windows", ProcessInfo{Name: "TEAMVIEWER.EXE"}, "teamviewer", ByName},
		{"windows renamed exe by original file name", "windows", ProcessInfo{Name: "invoice.exe", Exe: `C:\Users\u\Downloads\invoice.exe`, OriginalFilename: "AA_v3.exe"}, "ammyy", ByOriginalFilename},
		{"darwin bundle name", "darwin", ProcessInfo{Name: "zoom.us"}, "zoom", ByName},
		{"linux name cut to 15 characters", "linux", ProcessInfo{Name: "gnome-remote-de"}, "gnome-remote-desktop", ByName},
		{"linux renamed but in install dir", "linux", ProcessInfo{Name: "helper", Exe: "/opt/teamviewer/tv_bin/helper"}, "teamviewer", ByPath},
		{"python script of Chrome Remote Desktop", "linux", ProcessInfo{Name: "python3", Exe: "/usr/bin/python3.11", Args: []string{"/usr/bin/python3", "/opt/google/chrome-remote-desktop/chrome-remote-desktop", "--start"}}, "chrome-remote-desktop", ByPath},
		{"executable path base name", "linux", ProcessInfo{Name: "x", Exe: "/usr/bin/x11vnc"}, "x11vnc", ByExecutable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tool, by, ok := c.Match(tc.goos, tc.p)
			if !ok || tool.ID != tc.tool || by != tc.by {
				t.Fatalf("Match = %q by %q (%v), want %q by %q", tool.ID, by, ok, tc.tool, tc.by)
			}
		})
	}
	for _, p := range []ProcessInfo{
		{Name: "bash", Exe: "/usr/bin/bash", Args: []string{"bash"}},
		{Name: "python3", Exe: "/usr/bin/python3", Args: []string{"python3", "/home/u/zoom-notes/telegram_bot.py"}},
		{Name: "vim", Args: []string{"vim", "/home/u/anydesk.txt"}},
		{Name: "zoom.us"}, // a macOS name is not a Linux process name
		{Name: "chrome"},
	} {
		if tool, by, ok := c.Match("linux", p); ok {
			t.Errorf("Match(%+v) = %s by %s, want no match", p, tool.ID, by)
		}
	}
}

func TestToolsOnPort(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ids := func(ts []Tool) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.ID)
		}
		return strings.Join(s, ",")
	}
	if got := ids(c.ToolsOnPort("tcp", 5901)); !strings.Contains(got, "x11vnc") || !strings.Contains(got, "tigervnc") {
		t.Errorf("tcp/5901 tools = %s, want the VNC servers", got)
	}
	if got := ids(c.ToolsOnPort("tcp", 3389)); !strings.Contains(got, "xrdp") || !strings.Contains(got, "windows-remote-desktop") {
		t.Errorf("tcp/3389 tools = %s, want the RDP servers", got)
	}
	if got := c.ToolsOnPort("tcp", 8080); len(got) != 0 {
		t.Errorf("tcp/8080 tools = %s, want none", ids(got))
	}
	if got := c.ToolsOnPort("udp", 5900); len(got) != 0 {
		t.Errorf("udp/5900 tools = %s, want none", ids(got))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(catalogueJSON)
	f.Add([]byte(`{"version":1,"tools":[]}`))
	f.Add([]byte(`{"version":1,"tools":[{"id":"a","name":"A","category":"vnc","processes":{"linux":["a"]},"ports":[{"proto":"tcp","from":1,"to":2}],"notes":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		for _, tool := range c.Tools() {
			if !tool.Category.Valid() || tool.ID == "" {
				t.Fatalf("Parse accepted an invalid tool %+v", tool)
			}
			c.Match("linux", ProcessInfo{Name: tool.ID, Exe: "/x/" + tool.ID, Args: []string{tool.Name}})
		}
	})
}
