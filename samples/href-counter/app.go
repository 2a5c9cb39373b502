// href-counter prints how many internal and external links a web page has.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"golang.org/x/net/html"
)

type counts struct {
	Internal int `json:"internal"`
	External int `json:"external"`
}

func main() {
	url := os.Getenv("url")
	if url == "" {
		fmt.Fprintln(os.Stderr, "set url to the page to count, e.g. url=https://example.com")
		os.Exit(2)
	}
	resp, err := http.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	result := count(resp.Body, url)
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

func count(body io.Reader, base string) counts {
	var result counts
	tokens := html.NewTokenizer(body)
	for {
		switch tokens.Next() {
		case html.ErrorToken:
			return result
		case html.StartTagToken:
			for _, attr := range tokens.Token().Attr {
				if attr.Key != "href" {
					continue
				}
				if strings.HasPrefix(attr.Val, "http") && !strings.HasPrefix(attr.Val, base) {
					result.External++
				} else {
					result.Internal++
				}
			}
		}
	}
}
