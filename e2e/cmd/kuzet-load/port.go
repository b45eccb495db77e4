package main

import "net"

type net0 struct{}

// listen returns a TCP port that was free a moment ago.
func (net0) listen() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
