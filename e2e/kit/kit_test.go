package kit

import "testing"

func TestSeqCounter(t *testing.T) {
	var c seqCounter
	// 65533..65535, 0..2 with 65535 missing, then retransmitted late, and a duplicate.
	for _, sn := range []uint16{65533, 65534, 0, 1, 2} {
		if !c.add(sn) {
			t.Fatalf("%d counted as duplicate", sn)
		}
	}
	if c.lost() != 1 {
		t.Fatalf("lost = %d, want 1", c.lost())
	}
	if !c.add(65535) {
		t.Fatal("late retransmission not counted")
	}
	if c.add(65535) {
		t.Fatal("duplicate counted twice")
	}
	if c.lost() != 0 || c.received != 6 {
		t.Fatalf("lost = %d, received = %d; want 0 and 6", c.lost(), c.received)
	}
}
