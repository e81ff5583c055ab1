package instance_test

import (
	"fmt"

	"deskclerk/auth/instance"
)

func ExampleFromPublishableKey() {
	inst, err := instance.FromPublishableKey("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inst.FrontendAPI)
	fmt.Println(inst.Issuer)
	fmt.Println(inst.JWKSURL)
	fmt.Println(inst.Production)
	// Output:
	// clerk.example.com
	// https://clerk.example.com
	// https://clerk.example.com/.well-known/jwks.json
	// false
}

func ExamplePublishableKeyFor() {
	fmt.Println(instance.PublishableKeyFor("clerk.emulator.test", false))
	// Output: pk_test_Y2xlcmsuZW11bGF0b3IudGVzdCQ
}
