package witness

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/audit"
)

// RunCommand runs "kuzet-audit witness ARGS…" and returns the exit code:
// 0 accepted (or the kept size printed), 1 refused, 2 could not check.
//
//	witness --state FILE --key audit.pub --kept-size
//	witness --state FILE --key audit.pub --checkpoint FILE [--proof FILE]
//
// --key is the log's verifier key file, or the key itself
// ("kuzet-audit+hash+key"). The proof comes from "kuzet-server audit
// checkpoint --from KEPT_SIZE".
func RunCommand(args []string, stdout, stderr io.Writer) int {
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(stderr, "kuzet-audit witness:", err)
		return audit.ExitUncheckable
	}
	lang := i18n.EN
	for _, env := range []string{"KUZET_LANG", "LC_ALL", "LANG"} {
		if l, err := i18n.ParseLang(os.Getenv(env)); err == nil {
			lang = l
			break
		}
	}
	say := func(w io.Writer, key string, a i18n.Args) { fmt.Fprintln(w, cat.Text(lang, i18n.Key(key), a)) }
	fs := flag.NewFlagSet("kuzet-audit witness", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	state := fs.String("state", "", "")
	key := fs.String("key", "", "")
	cpFile := fs.String("checkpoint", "", "")
	proofFile := fs.String("proof", "", "")
	keptSize := fs.Bool("kept-size", false, "")
	langFlag := fs.String("lang", "", "")
	if err := fs.Parse(args); err != nil {
		say(stderr, "audit.cmd.bad_flags", i18n.Args{"detail": err.Error()})
		say(stderr, "audit.bundle.usage", nil)
		return audit.ExitUncheckable
	}
	if *langFlag != "" {
		l, err := i18n.ParseLang(*langFlag)
		if err != nil {
			say(stderr, "audit.cmd.bad_flags", i18n.Args{"detail": err.Error()})
			return audit.ExitUncheckable
		}
		lang = l
	}
	if fs.NArg() > 0 || *state == "" || *key == "" || (*cpFile == "") == !*keptSize {
		say(stderr, "audit.bundle.usage", nil)
		return audit.ExitUncheckable
	}
	// The key itself, or the file holding it.
	keys, err := audit.ParseVerifierKey(*key)
	if err != nil {
		b, rerr := os.ReadFile(*key)
		if rerr != nil {
			say(stderr, "audit.cmd.open_failed", i18n.Args{"path": *key, "detail": rerr.Error()})
			return audit.ExitUncheckable
		}
		keys, err = audit.ParseVerifierKey(string(b))
	}
	if err != nil {
		say(stderr, "audit.witness.failed", i18n.Args{"detail": err.Error()})
		return audit.ExitUncheckable
	}
	if *keptSize {
		n, err := KeptSize(*state, keys.Verifier)
		if err != nil {
			say(stderr, "audit.witness.failed", i18n.Args{"detail": err.Error()})
			return audit.ExitUncheckable
		}
		fmt.Fprintln(stdout, n)
		return audit.ExitOK
	}
	next, err := os.ReadFile(*cpFile)
	if err != nil {
		say(stderr, "audit.cmd.open_failed", i18n.Args{"path": *cpFile, "detail": err.Error()})
		return audit.ExitUncheckable
	}
	proof := audit.TreeProofText(nil)
	if *proofFile != "" {
		if proof, err = os.ReadFile(*proofFile); err != nil {
			say(stderr, "audit.cmd.open_failed", i18n.Args{"path": *proofFile, "detail": err.Error()})
			return audit.ExitUncheckable
		}
	}
	p, err := audit.ParseTreeProof(proof)
	if err != nil {
		say(stderr, "audit.witness.failed", i18n.Args{"detail": err.Error()})
		return audit.ExitUncheckable
	}
	res, err := Observe(*state, keys.Verifier, next, p)
	sizes := i18n.Args{
		"old_size": fmt.Sprint(res.Previous.Size), "old_root": b64(res.Previous.Root),
		"new_size": fmt.Sprint(res.Current.Size), "new_root": b64(res.Current.Root),
	}
	switch {
	case errors.Is(err, ErrShrunk):
		say(stdout, "audit.witness.refused_shrunk", sizes)
		return audit.ExitFailed
	case errors.Is(err, ErrFork):
		say(stdout, "audit.witness.refused_fork", sizes)
		return audit.ExitFailed
	case errors.Is(err, ErrInconsistent):
		say(stdout, "audit.witness.refused_inconsistent", sizes)
		return audit.ExitFailed
	case errors.Is(err, audit.ErrBadCheckpoint):
		// A checkpoint that does not verify under the log's key is refused.
		say(stdout, "audit.witness.failed", i18n.Args{"detail": err.Error()})
		return audit.ExitFailed
	case err != nil:
		say(stderr, "audit.witness.failed", i18n.Args{"detail": err.Error()})
		return audit.ExitUncheckable
	case res.First:
		say(stdout, "audit.witness.first", i18n.Args{"number": fmt.Sprint(res.Current.Number), "size": fmt.Sprint(res.Current.Size), "root": b64(res.Current.Root)})
	case res.Current.Size == res.Previous.Size:
		say(stdout, "audit.witness.same", i18n.Args{"size": fmt.Sprint(res.Current.Size), "root": b64(res.Current.Root)})
	default:
		say(stdout, "audit.witness.ok", i18n.Args{"number": fmt.Sprint(res.Current.Number), "size": fmt.Sprint(res.Current.Size), "old_size": fmt.Sprint(res.Previous.Size)})
	}
	return audit.ExitOK
}
