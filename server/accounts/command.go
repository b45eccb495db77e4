package accounts

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/store"
)

const usage = `usage:
  kuzet-server accounts create   --data DIR --role ROLE --username NAME [--password-stdin]
  kuzet-server accounts list     --data DIR [--json]
  kuzet-server accounts disable  --data DIR --username NAME
  kuzet-server accounts enable   --data DIR --username NAME
  kuzet-server accounts password --data DIR --username NAME [--password-stdin]

ROLE is admin, hr, proctor, assessor, auditor or commission. Without
--password-stdin a password is generated and printed once; with it, the
first line of standard input is the password (at least 12 characters).
Disabling or a new password ends the account's sessions. Each change is
in the audit log (actor "cli"). The commands open the server's store
directly: stop kuzet-server first.
`

// RunCommand is "kuzet-server accounts": the first administrator of a
// fresh install, and account repairs while the server is stopped. It
// returns the exit code (2 for bad usage).
func RunCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "kuzet-server accounts: "+format+"\n", a...)
		return code
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("accounts "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	data := fs.String("data", getenv("KUZET_DATA"), "the server's data directory")
	var role, username *string
	var fromStdin, asJSON *bool
	switch sub {
	case "create":
		role = fs.String("role", "", "the account's role")
		fallthrough
	case "password":
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
		fallthrough
	case "disable", "enable":
		username = fs.String("username", "", "the account's username")
	case "list":
		asJSON = fs.Bool("json", false, "print JSON")
	default:
		fmt.Fprint(stderr, usage)
		return fail(2, "unknown command %q: use create, list, disable, enable or password", sub)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected arguments %q: every value goes with its flag (see -h)", fs.Args())
	}
	if *data == "" {
		return fail(2, "give the server's data directory with --data DIR (or KUZET_DATA)")
	}
	if username != nil && *username == "" {
		return fail(2, "give the account with --username NAME")
	}
	if role != nil && *role == "" {
		return fail(2, "give the role with --role: admin, hr, proctor, assessor, auditor or commission")
	}
	password := ""
	if fromStdin != nil && *fromStdin {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fail(1, "read the password from standard input: %v", err)
		}
		if password = strings.TrimRight(line, "\r\n"); password == "" {
			return fail(2, "--password-stdin: standard input is empty; pipe the password in, or leave the flag out to have one generated")
		}
	}

	if sub != "create" {
		if _, err := os.Stat(filepath.Join(*data, "kuzet.db")); err != nil {
			return fail(1, "no kuzet.db in %s: give the server's data directory (its -data) with --data; create the first account with `accounts create`", *data)
		}
	}
	m, closeAll, err := OpenOffline(*data)
	if err != nil {
		return fail(1, "%v", err)
	}
	defer closeAll()

	switch sub {
	case "list":
		views, err := m.Views(time.Now())
		if err != nil {
			return fail(1, "%v", err)
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(views)
			return 0
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tSTATE\tCREATED\tLAST LOGIN\tSESSIONS")
		for _, v := range views {
			state, last := "enabled", "never"
			if v.Disabled {
				state = "disabled"
			}
			if v.LastLogin != nil {
				last = v.LastLogin.UTC().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", v.Username, v.Role, state, v.Created.UTC().Format(time.DateTime), last, v.Sessions)
		}
		_ = tw.Flush()
		return 0
	case "create":
		acct, pass, err := m.Create(ctx, CLIActor, *username, store.Role(*role), password)
		if err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stdout, "created %s account %s\n", acct.Role, acct.Username)
		if password == "" {
			fmt.Fprintf(stdout, "password (shown once): %s\n", pass)
		}
		return 0
	}
	acct, err := m.Find(*username)
	if err != nil {
		return fail(1, "%v", err)
	}
	switch sub {
	case "disable":
		if _, err := m.Disable(ctx, CLIActor, acct.ID); err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stdout, "disabled %s; its sessions have ended\n", acct.Username)
	case "enable":
		if _, err := m.Enable(ctx, CLIActor, acct.ID); err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stdout, "enabled %s\n", acct.Username)
	case "password":
		pass, err := m.ResetPassword(ctx, CLIActor, acct.ID, password)
		if err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stdout, "new password set for %s; its sessions have ended\n", acct.Username)
		if password == "" {
			fmt.Fprintf(stdout, "password (shown once): %s\n", pass)
		}
	}
	return 0
}

// OpenOffline opens the store and audit log of data directory dir for the
// command line. The server holds the store's file lock while it runs, so
// this refuses (after a second) while it does.
func OpenOffline(dir string) (*Manager, func(), error) {
	st, err := store.Open(filepath.Join(dir, "kuzet.db"))
	if errors.Is(err, store.ErrLocked) {
		return nil, nil, fmt.Errorf("the data directory %s is in use by a running kuzet-server: stop kuzet-server first (these commands open its store directly), or manage accounts on the Accounts screen", dir)
	}
	if err != nil {
		return nil, nil, err
	}
	keys, err := audit.LoadOrCreateKeys(audit.KeysDir(dir, ""))
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("audit log keys: %w", err)
	}
	l, err := audit.Open(st.DB(), keys, audit.Options{DataDir: dir})
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("open audit log: %w", err)
	}
	return New(st, admin.New(st), l), func() { l.Close(); st.Close() }, nil
}
