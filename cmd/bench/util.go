package main

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

func drain(res *http.Response) {
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
