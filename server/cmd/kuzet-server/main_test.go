package main

import (
	"os"
	"testing"
)

// "kuzet-server bank …" reaches the bank command, not the server's flags.
func TestBankCommandIsDispatched(t *testing.T) {
	saved := os.Args
	t.Cleanup(func() { os.Args = saved })
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"kuzet-server", "bank", "inspect", "../../qti/testdata/items/essay.xml"}, 0},
		{[]string{"kuzet-server", "bank", "inspect", "../../qti/testdata/no-such-file.xml"}, 1},
		{[]string{"kuzet-server", "bank"}, 2},
	} {
		os.Args = c.args
		if got := run(); got != c.code {
			t.Errorf("%v: exit %d, want %d", c.args[1:], got, c.code)
		}
	}
}
