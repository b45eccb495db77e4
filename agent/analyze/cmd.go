package analyze

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/roomscan"
	"kuzet.kz/kuzet/agent/vision"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Report is the whole output of the command, as --json prints it.
type Report struct {
	// OK says every input was analysed completely.
	OK bool `json:"ok"`
	// Inputs are the per-input reports, in argument order.
	Inputs []*Input `json:"inputs"`
}

// RunCommand implements `kuzet-agent analyze [--json] [--room-scan] [--fps N]
// [--fov DEGREES] INPUT…`: args are the arguments after "analyze". It prints
// the report in lang (or as JSON) and returns ExitOK only when every input
// and frame was analysed; a damaged file or frame gives its own error line
// and ExitFail.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer, cat *i18n.Catalogue, lang i18n.Lang) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	scan := fs.Bool("room-scan", false, "measure a 360° room scan over each input")
	fps := fs.Float64("fps", 5, "frame rate of a directory of frames")
	fov := fs.Float64("fov", roomscan.DefaultConfig().FOV, "the camera's horizontal field of view in degrees, for --room-scan")
	usage := func(arg string) int {
		fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("analyze.error.usage"), i18n.Args{"arg": arg}))
		fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("analyze.usage"), nil))
		return ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprintln(stdout, cat.Text(lang, i18n.Key("analyze.usage"), nil))
			return ExitOK
		}
		return usage(strings.TrimSpace(strings.TrimPrefix(err.Error(), "flag provided but not defined:")))
	}
	if fs.NArg() == 0 {
		return usage("INPUT")
	}
	if !(*fps > 0 && *fps <= 1000) {
		return usage("--fps " + strconv.FormatFloat(*fps, 'g', -1, 64))
	}
	opt := Options{Vision: vision.DefaultConfig(), RoomScan: roomscan.DefaultConfig(), Scan: *scan, FPS: *fps, AnalysisFPS: 5}
	opt.RoomScan.FOV = *fov
	if err := opt.RoomScan.Validate(); err != nil {
		return usage("--fov " + strconv.FormatFloat(*fov, 'g', -1, 64))
	}
	texts := func(t finding.Transition) string { return cat.Text(lang, t.Key, t.Args) }
	rep := Report{OK: true}
	for _, path := range fs.Args() {
		in, err := Run(ctx, path, opt, texts)
		rep.Inputs = append(rep.Inputs, in)
		if err != nil {
			fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("analyze.cancelled"), nil))
			return ExitFail
		}
		rep.OK = rep.OK && in.OK()
		if !*asJSON {
			render(stdout, stderr, in, cat, lang)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("analyze.error.output"), i18n.Args{"error": err.Error()}))
			return ExitFail
		}
	} else {
		failed := 0
		for _, in := range rep.Inputs {
			if !in.OK() {
				failed++
			}
		}
		if failed == 0 {
			fmt.Fprintln(stdout, cat.Text(lang, i18n.Key("analyze.summary.ok"), i18n.Args{"inputs": strconv.Itoa(len(rep.Inputs))}))
		} else {
			fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("analyze.summary.failed"), i18n.Args{"failed": strconv.Itoa(failed), "inputs": strconv.Itoa(len(rep.Inputs))}))
		}
	}
	if !rep.OK {
		return ExitFail
	}
	return ExitOK
}

func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// render prints one input's report in lang: frames and events on stdout,
// errors on stderr.
func render(stdout, stderr io.Writer, in *Input, cat *i18n.Catalogue, lang i18n.Lang) {
	if in.Error != "" {
		fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("analyze.error.input"), i18n.Args{"input": in.Path, "error": in.Error}))
		return
	}
	for _, fr := range in.Frames {
		name := in.Path
		if fr.File != "" {
			name = fr.File
		}
		if fr.Error != "" {
			fmt.Fprintln(stderr, cat.Text(lang, i18n.Key("analyze.error.frame"), i18n.Args{"input": name, "frame": strconv.Itoa(fr.Index), "error": fr.Error}))
			continue
		}
		o := fr.Observation
		var flags []string
		if len(o.Faces) > 0 && o.Faces[0].PoseChecked {
			if o.Faces[0].Frontal {
				flags = append(flags, cat.Text(lang, i18n.Key("analyze.flag.frontal"), nil))
			} else {
				flags = append(flags, cat.Text(lang, i18n.Key("analyze.flag.turned"), nil))
			}
		}
		if o.Tracked {
			flags = append(flags, cat.Text(lang, i18n.Key("analyze.flag.tracked"), nil))
		}
		if o.Dark {
			flags = append(flags, cat.Text(lang, i18n.Key("analyze.flag.dark"), nil))
		}
		if o.Uniform {
			flags = append(flags, cat.Text(lang, i18n.Key("analyze.flag.uniform"), nil))
		}
		if o.HasPrevious && o.Frozen {
			flags = append(flags, cat.Text(lang, i18n.Key("analyze.flag.frozen"), nil))
		}
		fmt.Fprintln(stdout, cat.Text(lang, i18n.Key("analyze.frame"), i18n.Args{
			"input": name, "frame": strconv.Itoa(fr.Index), "seconds": f1(fr.Seconds),
			"faces": strconv.Itoa(len(o.Faces)), "luma": strconv.Itoa(int(math.Round(o.Luma))),
			"edge": f1(o.Edge), "changed": f1(100 * o.Changed), "flags": strings.Join(flags, ", "),
		}))
	}
	printEvent := func(e Event) {
		kind := i18n.Key("analyze.kind.instant")
		switch e.Kind {
		case "start":
			kind = i18n.Key("analyze.kind.start")
		case "end":
			kind = i18n.Key("analyze.kind.end")
		}
		fmt.Fprintln(stdout, cat.Text(lang, i18n.Key("analyze.event"), i18n.Args{
			"input": in.Path, "seconds": f1(e.Seconds), "rule": e.Rule,
			"kind": cat.Text(lang, kind, nil), "text": e.Text,
		}))
	}
	for _, e := range in.Events {
		printEvent(e)
	}
	if len(in.Open) > 0 {
		fmt.Fprintln(stdout, cat.Text(lang, i18n.Key("analyze.open"), i18n.Args{"input": in.Path, "subjects": strings.Join(in.Open, ", ")}))
	}
	if in.RoomScanEvent != nil {
		printEvent(*in.RoomScanEvent)
	}
	fmt.Fprintln(stdout, cat.Text(lang, i18n.Key("analyze.summary.input"), i18n.Args{
		"input": in.Path, "frames": strconv.Itoa(len(in.Frames) - in.Failed), "events": strconv.Itoa(len(in.Events)), "failed": strconv.Itoa(in.Failed),
	}))
}
