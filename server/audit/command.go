package audit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Exit codes of the audit commands.
const (
	ExitOK          = 0 // everything verified
	ExitFailed      = 1 // something failed verification
	ExitUncheckable = 2 // bad usage, or the check could not run
)

// lockTimeout is how long the commands wait for the database lock before
// concluding that the server is running.
const lockTimeout = 2 * time.Second

type cmdOut struct {
	cat    *i18n.Catalogue
	lang   i18n.Lang
	stdout io.Writer
	stderr io.Writer
}

func (o cmdOut) say(w io.Writer, key i18n.Key, args i18n.Args) {
	fmt.Fprintln(w, o.cat.Text(o.lang, key, args))
}

func defaultLang() i18n.Lang {
	for _, env := range []string{"KUZET_LANG", "LC_ALL", "LANG"} {
		if l, err := i18n.ParseLang(os.Getenv(env)); err == nil {
			return l
		}
	}
	return i18n.EN
}

// RunCommand runs "kuzet-server audit ARGS…" (args without the leading
// "audit") and returns the process exit code:
//
//	verify --data DIR [--lang kk|ru|en]
//	export --data DIR --sitting ID -o FILE [--lang kk|ru|en]
//
// verify opens the database read-only; export must sign a checkpoint and
// so needs the database for itself. Both wait two seconds for the lock and
// then say that the server seems to be running.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(stderr, "kuzet-server audit:", err)
		return ExitUncheckable
	}
	o := cmdOut{cat: cat, lang: defaultLang(), stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		o.say(stderr, i18n.Key("audit.cmd.usage"), nil)
		return ExitUncheckable
	}
	fs := flag.NewFlagSet("kuzet-server audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data", "", "")
	sitting := fs.String("sitting", "", "")
	outFile := fs.String("o", "", "")
	lang := fs.String("lang", "", "")
	from := fs.Int64("from", 0, "")
	proofFile := fs.String("proof", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		o.say(stderr, i18n.Key("audit.cmd.bad_flags"), i18n.Args{"detail": err.Error()})
		o.say(stderr, i18n.Key("audit.cmd.usage"), nil)
		return ExitUncheckable
	}
	if *lang != "" {
		l, err := i18n.ParseLang(*lang)
		if err != nil {
			o.say(stderr, i18n.Key("audit.cmd.bad_flags"), i18n.Args{"detail": err.Error()})
			return ExitUncheckable
		}
		o.lang = l
	}
	if fs.NArg() > 0 || *dataDir == "" || (args[0] == "export" && (*sitting == "" || *outFile == "")) ||
		(args[0] == "checkpoint" && (*outFile == "" || *from < 0 || (*from > 0) != (*proofFile != ""))) ||
		(args[0] != "verify" && args[0] != "export" && args[0] != "checkpoint") {
		o.say(stderr, i18n.Key("audit.cmd.usage"), nil)
		return ExitUncheckable
	}
	dbPath := filepath.Join(*dataDir, "kuzet.db")
	if _, err := os.Stat(dbPath); err != nil {
		o.say(stderr, i18n.Key("audit.cmd.open_failed"), i18n.Args{"path": dbPath, "detail": err.Error()})
		return ExitUncheckable
	}
	readOnly := args[0] != "export"
	db, err := bbolt.Open(dbPath, 0o600, &bbolt.Options{ReadOnly: readOnly, Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		o.say(stderr, i18n.Key("audit.cmd.locked"), i18n.Args{"path": dbPath})
		return ExitUncheckable
	}
	if err != nil {
		o.say(stderr, i18n.Key("audit.cmd.open_failed"), i18n.Args{"path": dbPath, "detail": err.Error()})
		return ExitUncheckable
	}
	defer db.Close()
	if args[0] == "checkpoint" {
		return o.checkpoint(db, *dataDir, *from, *outFile, *proofFile)
	}
	if readOnly {
		return o.verify(ctx, db, *dataDir)
	}
	return o.export(ctx, db, *dataDir, *sitting, *outFile)
}

func (o cmdOut) verify(ctx context.Context, db *bbolt.DB, dataDir string) int {
	rep := Verify(ctx, db, dataDir)
	return o.report(&rep, false)
}

// report prints a report and returns the exit code.
func (o cmdOut) report(rep *Report, bundle bool) int {
	if !rep.Checked {
		detail := "unknown"
		if rep.Err != nil {
			detail = rep.Err.Error()
		}
		o.say(o.stderr, i18n.Key("audit.verify.unchecked"), i18n.Args{"detail": detail})
		return ExitUncheckable
	}
	key := fmt.Sprintf("%s+%08x", rep.KeyName, rep.KeyHash)
	if !rep.OK() {
		first := rep.First()
		if first.Index >= 0 {
			o.say(o.stdout, i18n.Key("audit.verify.failed_entry"), i18n.Args{"index": fmt.Sprint(first.Index)})
		} else {
			o.say(o.stdout, i18n.Key("audit.verify.failed"), i18n.Args{"count": fmt.Sprint(len(rep.Problems))})
		}
		o.say(o.stdout, i18n.Key("audit.verify.problem"), i18n.Args{"text": first.Message(o.cat, o.lang)})
		shown := 1
		for i := range rep.Problems {
			p := &rep.Problems[i]
			if p == first {
				continue
			}
			if shown == 20 {
				o.say(o.stdout, i18n.Key("audit.verify.more"), i18n.Args{"count": fmt.Sprint(len(rep.Problems) - shown)})
				break
			}
			o.say(o.stdout, i18n.Key("audit.verify.problem"), i18n.Args{"text": p.Message(o.cat, o.lang)})
			shown++
		}
		return ExitFailed
	}
	for _, p := range sortedKeys(rep.Deleted) {
		o.say(o.stdout, i18n.Key("audit.verify.deleted"), i18n.Args{"path": p, "index": fmt.Sprint(rep.Deleted[p])})
	}
	if rep.Latest == nil {
		o.say(o.stdout, i18n.Key("audit.verify.no_checkpoint"), i18n.Args{"entries": fmt.Sprint(rep.Entries)})
		return ExitOK
	}
	args := i18n.Args{
		"entries": fmt.Sprint(rep.Entries), "checkpoints": fmt.Sprint(rep.Checkpoints), "files": fmt.Sprint(rep.Files),
		"checkpoint": fmt.Sprint(rep.Latest.Number), "size": fmt.Sprint(rep.Latest.Size), "root": rep.Latest.Root.String(),
		"key": key, "time": rep.Latest.Time.UTC().Format(time.RFC3339), "sitting": rep.Sitting,
	}
	if bundle {
		o.say(o.stdout, i18n.Key("audit.bundle.ok"), args)
		return ExitOK
	}
	o.say(o.stdout, i18n.Key("audit.verify.ok"), args)
	if tail := rep.Entries - rep.Latest.Size; tail > 0 {
		o.say(o.stdout, i18n.Key("audit.verify.unsigned_tail"), i18n.Args{"count": fmt.Sprint(tail), "checkpoint": fmt.Sprint(rep.Latest.Number)})
	}
	return ExitOK
}

func (o cmdOut) export(ctx context.Context, db *bbolt.DB, dataDir, sitting, outFile string) int {
	keys, err := LoadOrCreateKeys(KeysDir(dataDir, ""))
	if err != nil {
		o.say(o.stderr, i18n.Key("audit.export.failed"), i18n.Args{"detail": err.Error()})
		return ExitUncheckable
	}
	l, err := Open(db, keys, Options{DataDir: dataDir})
	if err != nil {
		o.say(o.stderr, i18n.Key("audit.export.failed"), i18n.Args{"detail": err.Error()})
		return ExitUncheckable
	}
	defer l.Close()
	tmp := outFile + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		o.say(o.stderr, i18n.Key("audit.export.failed"), i18n.Args{"detail": err.Error()})
		return ExitUncheckable
	}
	err = l.Export(ctx, sitting, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, outFile)
	}
	if err != nil {
		os.Remove(tmp)
		o.say(o.stderr, i18n.Key("audit.export.failed"), i18n.Args{"detail": err.Error()})
		if errors.Is(err, ErrCorrupt) {
			return ExitFailed
		}
		return ExitUncheckable
	}
	// Check what was written, as the recipient will.
	rf, err := os.Open(outFile)
	if err != nil {
		o.say(o.stderr, i18n.Key("audit.export.failed"), i18n.Args{"detail": err.Error()})
		return ExitUncheckable
	}
	defer rf.Close()
	rep := VerifyBundle(rf, BundleOptions{TrustedKey: keys.VerifierKey})
	code := o.report(&rep, true)
	if code == ExitOK {
		o.say(o.stdout, i18n.Key("audit.export.done"), i18n.Args{"sitting": sitting, "file": outFile})
	}
	return code
}

// RunBundleCommand runs "kuzet-audit ARGS…": verify FILE [--key PUBFILE]
// [--lang kk|ru|en]. It needs nothing but the bundle (and, to pin the
// operator's key, the key file) and returns the process exit code.
func RunBundleCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(stderr, "kuzet-audit:", err)
		return ExitUncheckable
	}
	o := cmdOut{cat: cat, lang: defaultLang(), stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] != "verify" {
		o.say(stderr, i18n.Key("audit.bundle.usage"), nil)
		return ExitUncheckable
	}
	fs := flag.NewFlagSet("kuzet-audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	keyFile := fs.String("key", "", "")
	lang := fs.String("lang", "", "")
	// Accept flags before and after the file name.
	var files []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			o.say(stderr, i18n.Key("audit.cmd.bad_flags"), i18n.Args{"detail": err.Error()})
			o.say(stderr, i18n.Key("audit.bundle.usage"), nil)
			return ExitUncheckable
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *lang != "" {
		l, err := i18n.ParseLang(*lang)
		if err != nil {
			o.say(stderr, i18n.Key("audit.cmd.bad_flags"), i18n.Args{"detail": err.Error()})
			return ExitUncheckable
		}
		o.lang = l
	}
	if len(files) != 1 {
		o.say(stderr, i18n.Key("audit.bundle.usage"), nil)
		return ExitUncheckable
	}
	var opts BundleOptions
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			o.say(stderr, i18n.Key("audit.cmd.open_failed"), i18n.Args{"path": *keyFile, "detail": err.Error()})
			return ExitUncheckable
		}
		opts.TrustedKey = strings.TrimSpace(string(b))
	}
	f, err := os.Open(files[0])
	if err != nil {
		o.say(stderr, i18n.Key("audit.cmd.open_failed"), i18n.Args{"path": files[0], "detail": err.Error()})
		return ExitUncheckable
	}
	defer f.Close()
	if err := ctx.Err(); err != nil {
		return ExitUncheckable
	}
	rep := VerifyBundle(f, opts)
	code := o.report(&rep, true)
	if code == ExitOK && opts.TrustedKey == "" {
		o.say(stdout, i18n.Key("audit.bundle.key_note"), i18n.Args{"key": fmt.Sprintf("%s+%08x", rep.KeyName, rep.KeyHash)})
	}
	return code
}

// checkpoint writes the newest signed checkpoint to outFile and, with
// from > 0, the consistency proof from the tree of size from to it to
// proofFile: what a witness (kuzet-audit witness) needs to check that the
// log only grew since the checkpoint it keeps.
func (o cmdOut) checkpoint(db *bbolt.DB, dataDir string, from int64, outFile, proofFile string) int {
	keys, err := LoadVerifierKey(KeysDir(dataDir, ""))
	if err != nil {
		o.say(o.stderr, i18n.Key("audit.checkpoint.failed"), i18n.Args{"detail": err.Error()})
		return ExitUncheckable
	}
	l, err := Open(db, keys, Options{DataDir: dataDir})
	if err != nil {
		o.say(o.stderr, i18n.Key("audit.checkpoint.failed"), i18n.Args{"detail": err.Error()})
		return ExitUncheckable
	}
	defer l.Close()
	cp, err := l.LatestCheckpoint()
	if err != nil {
		o.say(o.stderr, i18n.Key("audit.checkpoint.failed"), i18n.Args{"detail": err.Error()})
		return ExitUncheckable
	}
	if from > cp.Size {
		o.say(o.stderr, i18n.Key("audit.checkpoint.from_too_large"), i18n.Args{"from": fmt.Sprint(from), "size": fmt.Sprint(cp.Size), "number": fmt.Sprint(cp.Number)})
		return ExitFailed
	}
	if from > 0 {
		proof := TreeProofText(nil)
		if from < cp.Size {
			p, err := l.ConsistencyProof(from, cp.Size)
			if err != nil {
				o.say(o.stderr, i18n.Key("audit.checkpoint.failed"), i18n.Args{"detail": err.Error()})
				return ExitUncheckable
			}
			proof = TreeProofText(p)
		}
		if err := os.WriteFile(proofFile, proof, 0o644); err != nil {
			o.say(o.stderr, i18n.Key("audit.checkpoint.failed"), i18n.Args{"detail": err.Error()})
			return ExitUncheckable
		}
	}
	if err := os.WriteFile(outFile, cp.Signed, 0o644); err != nil {
		o.say(o.stderr, i18n.Key("audit.checkpoint.failed"), i18n.Args{"detail": err.Error()})
		return ExitUncheckable
	}
	o.say(o.stdout, i18n.Key("audit.checkpoint.written"), i18n.Args{"number": fmt.Sprint(cp.Number), "size": fmt.Sprint(cp.Size), "file": outFile})
	return ExitOK
}
