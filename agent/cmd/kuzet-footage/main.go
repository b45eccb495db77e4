// Command kuzet-footage writes synthetic camera footage as a Y4M file, for
// tests, demos and support: a candidate at a desk who leaves, is joined by
// others, turns away, covers the camera, or a 360° room scan.
//
//	kuzet-footage -o FILE [-size 640x480] [-fps 15] [-seed N] [-scene SCRIPT | -demo]
//
// SCRIPT is comma-separated scenes KIND[=ARG]:DURATION, for example
// face:5s,empty:6s,people=2:4s,pan=360/60:30s (see agent/footage). -o -
// writes to standard output. Messages come from the text catalogue in the
// language of $KUZET_LANG or $LANG (Russian when unset).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/agent/footage"
	"kuzet.kz/kuzet/protocol/i18n"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func lang() i18n.Lang {
	for _, v := range []string{os.Getenv("KUZET_LANG"), os.Getenv("LANG")} {
		if l, err := i18n.ParseLang(v); err == nil {
			return l
		}
	}
	return i18n.KK // the state language, as kuzet-agent falls back to (issue 16)
}

func run(args []string, stdout, stderr io.Writer) int {
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(stderr, "kuzet-footage: text catalogue:", err)
		return 1
	}
	lg := lang()
	var kinds []string
	for _, k := range footage.Kinds() {
		kinds = append(kinds, string(k))
	}
	usage := func(arg string) int {
		if arg != "" {
			fmt.Fprintln(stderr, cat.Text(lg, i18n.Key("footage.error.usage"), i18n.Args{"arg": arg}))
		}
		fmt.Fprintln(stderr, cat.Text(lg, i18n.Key("footage.usage"), i18n.Args{"kinds": strings.Join(kinds, ", ")}))
		return 2
	}
	fs := flag.NewFlagSet("kuzet-footage", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "output file (- for standard output)")
	size := fs.String("size", "640x480", "frame size WIDTHxHEIGHT")
	fps := fs.Int("fps", 15, "frames per second")
	seed := fs.Uint64("seed", 1, "room and noise seed")
	scene := fs.String("scene", "", "scene script")
	demo := fs.Bool("demo", false, "write the demo loop")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, cat.Text(lg, i18n.Key("footage.usage"), i18n.Args{"kinds": strings.Join(kinds, ", ")}))
			return 0
		}
		return usage(err.Error())
	}
	if fs.NArg() > 0 {
		return usage(fs.Arg(0))
	}
	if *out == "" {
		return usage("-o")
	}
	ws, hs, ok := strings.Cut(*size, "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if !ok || errW != nil || errH != nil {
		return usage("-size " + *size)
	}
	var script []footage.Scene
	switch {
	case *demo && *scene != "":
		return usage("-scene / -demo")
	case *demo || *scene == "":
		script = footage.DemoScript()
	default:
		if script, err = footage.ParseScript(*scene); err != nil {
			return usage(err.Error())
		}
	}
	if err := footage.Check(w, h, *fps, script); err != nil {
		return usage(err.Error())
	}
	if err := write(*out, w, h, *fps, *seed, script, stdout); err != nil {
		fmt.Fprintln(stderr, cat.Text(lg, i18n.Key("footage.error.write"), i18n.Args{"file": *out, "error": err.Error()}))
		return 1
	}
	frames := footage.Frames(script, *fps)
	if *out != "-" {
		fmt.Fprintln(stderr, cat.Text(lg, i18n.Key("footage.written"), i18n.Args{
			"file": *out, "frames": strconv.Itoa(frames), "width": strconv.Itoa(w), "height": strconv.Itoa(h), "fps": strconv.Itoa(*fps)}))
	}
	return 0
}

// write renders the script into path (or stdout for "-"). A file is
// written under a temporary name and renamed, so a reader never sees half
// a file.
func write(path string, w, h, fps int, seed uint64, script []footage.Scene, stdout io.Writer) error {
	if path == "-" {
		bw := bufio.NewWriter(stdout)
		if err := footage.WriteY4M(bw, w, h, fps, seed, script); err != nil {
			return err
		}
		return bw.Flush()
	}
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := footage.WriteY4M(f, w, h, fps, seed, script); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
