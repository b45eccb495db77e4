package vision_test

import (
	"fmt"
	"time"

	"kuzet.kz/kuzet/agent/footage"
	"kuzet.kz/kuzet/agent/vision"
)

// The agent analyses about five camera frames a second and feeds each
// observation to the watcher, which returns the rule events to send.
func Example() {
	cfg := vision.DefaultConfig()
	an, err := vision.NewAnalyzer(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := vision.NewWatcher(cfg)
	script := []footage.Scene{
		{Kind: footage.Face, Duration: 2 * time.Second},
		{Kind: footage.Empty, Duration: 7 * time.Second},
	}
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	err = footage.Play(320, 240, 5, 1, script, func(f footage.Frame) error {
		obs, err := an.Analyze(f.Image)
		if err != nil {
			return err
		}
		for _, t := range w.Update(start.Add(f.At), f.Image, obs) {
			fmt.Printf("%4.1fs rule %s %s %s (%d evidence)\n", t.At.Sub(start).Seconds(), t.Rule, t.Kind, t.Key, len(t.Evidence))
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	//  0.0s rule 10.1 instant vision.reference (1 evidence)
	//  2.0s rule 10.3 start vision.noface (1 evidence)
}
