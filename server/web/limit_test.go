package web

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestPerIPLimitsEachAddressAlone(t *testing.T) {
	p := NewPerIP(time.Hour, 3)
	a := httptest.NewRequest("GET", "/", nil)
	a.RemoteAddr = "10.0.0.1:5000"
	b := httptest.NewRequest("GET", "/", nil)
	b.RemoteAddr = "10.0.0.2:5000"
	for i := 0; i < 3; i++ {
		if !p.Allow(a) {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	if p.Allow(a) {
		t.Fatal("a fourth request within the hour was allowed")
	}
	if !p.Allow(b) {
		t.Fatal("another address was limited by the first one's requests")
	}
}
