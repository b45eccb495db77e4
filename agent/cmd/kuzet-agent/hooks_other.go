//go:build !unix

package main

import (
	"context"
	"log/slog"

	"kuzet.kz/kuzet/agent/camera"
)

func testHooks(ctx context.Context, s camera.Source, log *slog.Logger) {}
