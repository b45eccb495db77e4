package media

import (
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// With -rtc-public-ip the answer announces the public address, not the
// bound one (a server behind 1:1 NAT).
func TestPublicIPAnnounced(t *testing.T) {
	s, err := New(Config{Host: "127.0.0.1", PublicIPs: []string{"198.51.100.7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	peer, answer, err := s.Publish("s-public-ip", offer.SDP)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	var cands []string
	for _, l := range strings.Split(answer, "\r\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			cands = append(cands, l)
		}
	}
	if len(cands) == 0 {
		t.Fatalf("answer has no candidates:\n%s", answer)
	}
	for _, c := range cands {
		if !strings.Contains(c, " 198.51.100.7 ") {
			t.Errorf("candidate does not carry the public IP: %s", c)
		}
	}
}
