//go:build tools

// Package tools pins the main package this wrapper builds, so that
// `go mod tidy` keeps it and its dependencies in go.mod and go.sum.
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
)
