package browseropen_test

import (
	"errors"
	"fmt"

	"deskclerk/auth/browseropen"
)

func ExampleValidate() {
	for _, u := range []string{
		"https://accounts.example.com/o/oauth2/auth?state=(abc)",
		"http://127.0.0.1:4100/v1/oauth",
		"http://localhost:4100/v1/oauth",
		"javascript:alert(1)",
	} {
		_, err := browseropen.Validate(u, true)
		fmt.Println(err == nil, errors.Is(err, browseropen.ErrUnsafeURL))
	}
	// Output:
	// true false
	// true false
	// false true
	// false true
}

func ExampleSystem_Open() {
	// Tests and the end-to-end harness replace the system browser with a script.
	opener := browseropen.System{
		AllowHTTPLoopback: true, // local emulator only
		Launch: func(url string) error {
			fmt.Println("launch", url)
			return nil
		},
	}
	fmt.Println(opener.Open("http://127.0.0.1:4100/v1/oauth?x=1"))
	fmt.Println(opener.Open("file:///etc/passwd"))
	// Output:
	// launch http://127.0.0.1:4100/v1/oauth?x=1
	// <nil>
	// browseropen: unsafe URL: scheme must be https
}
