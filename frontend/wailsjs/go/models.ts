export namespace apiclient {
	
	export class Reachability {
	    checked: boolean;
	    reachable: boolean;
	    status?: number;
	    error?: string;
	    // Go type: time
	    at: any;
	
	    static createFrom(source: any = {}) {
	        return new Reachability(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.checked = source["checked"];
	        this.reachable = source["reachable"];
	        this.status = source["status"];
	        this.error = source["error"];
	        this.at = this.convertValues(source["at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Response {
	    status: number;
	    contentType: string;
	    body: string;
	
	    static createFrom(source: any = {}) {
	        return new Response(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.status = source["status"];
	        this.contentType = source["contentType"];
	        this.body = source["body"];
	    }
	}

}

export namespace doctor {
	
	export class Detail {
	    label: string;
	    value: string;
	
	    static createFrom(source: any = {}) {
	        return new Detail(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.label = source["label"];
	        this.value = source["value"];
	    }
	}
	export class Check {
	    id: string;
	    title: string;
	    status: string;
	    summary: string;
	    fix?: string;
	    details?: Detail[];
	
	    static createFrom(source: any = {}) {
	        return new Check(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.title = source["title"];
	        this.status = source["status"];
	        this.summary = source["summary"];
	        this.fix = source["fix"];
	        this.details = this.convertValues(source["details"], Detail);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class Report {
	    // Go type: time
	    at: any;
	    ok: boolean;
	    checks: Check[];
	
	    static createFrom(source: any = {}) {
	        return new Report(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.at = this.convertValues(source["at"], null);
	        this.ok = source["ok"];
	        this.checks = this.convertValues(source["checks"], Check);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace gateway {
	
	export class State {
	    online: boolean;
	    lastError?: string;
	    // Go type: time
	    lastSeen: any;
	
	    static createFrom(source: any = {}) {
	        return new State(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.online = source["online"];
	        this.lastError = source["lastError"];
	        this.lastSeen = this.convertValues(source["lastSeen"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace loopback {
	
	export class Status {
	    active: boolean;
	    opened: boolean;
	    // Go type: time
	    deadline: any;
	    deadlineUnixMilli: number;
	    openFailed: boolean;
	    manualUrl?: string;
	    openError?: string;
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.active = source["active"];
	        this.opened = source["opened"];
	        this.deadline = this.convertValues(source["deadline"], null);
	        this.deadlineUnixMilli = source["deadlineUnixMilli"];
	        this.openFailed = source["openFailed"];
	        this.manualUrl = source["manualUrl"];
	        this.openError = source["openError"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace main {
	
	export class APIResult {
	    status: number;
	    contentType?: string;
	    body?: string;
	    error?: string;
	    kind?: string;
	
	    static createFrom(source: any = {}) {
	        return new APIResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.status = source["status"];
	        this.contentType = source["contentType"];
	        this.body = source["body"];
	        this.error = source["error"];
	        this.kind = source["kind"];
	    }
	}
	export class ClockHealth {
	    offsetSeconds: number;
	    large: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ClockHealth(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.offsetSeconds = source["offsetSeconds"];
	        this.large = source["large"];
	    }
	}
	export class Ended {
	    reason?: string;
	    message?: string;
	
	    static createFrom(source: any = {}) {
	        return new Ended(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.reason = source["reason"];
	        this.message = source["message"];
	    }
	}
	export class Health {
	    // Go type: struct { Backend string "json:\"backend\""; Persistent bool "json:\"persistent\""; Summary string "json:\"summary\"" }
	    keychain: any;
	    identity: gateway.State;
	    api: apiclient.Reachability;
	    clock: ClockHealth;
	
	    static createFrom(source: any = {}) {
	        return new Health(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keychain = this.convertValues(source["keychain"], Object);
	        this.identity = this.convertValues(source["identity"], gateway.State);
	        this.api = this.convertValues(source["api"], apiclient.Reachability);
	        this.clock = this.convertValues(source["clock"], ClockHealth);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class OAuthOutcome {
	    callbackUrl?: string;
	    error?: string;
	    code?: string;
	
	    static createFrom(source: any = {}) {
	        return new OAuthOutcome(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.callbackUrl = source["callbackUrl"];
	        this.error = source["error"];
	        this.code = source["code"];
	    }
	}
	export class SessionSnapshot {
	    present: boolean;
	    identity: snapshot.Identity;
	    // Go type: time
	    confirmedAt: any;
	    answers: Record<string, snapshot.Answer>;
	
	    static createFrom(source: any = {}) {
	        return new SessionSnapshot(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.present = source["present"];
	        this.identity = this.convertValues(source["identity"], snapshot.Identity);
	        this.confirmedAt = this.convertValues(source["confirmedAt"], null);
	        this.answers = this.convertValues(source["answers"], snapshot.Answer, true);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Status {
	    version: string;
	    mode: string;
	    instance: string;
	    publishableKey: string;
	    proxyPath: string;
	    apiOrigin: string;
	    errors: string[];
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.mode = source["mode"];
	        this.instance = source["instance"];
	        this.publishableKey = source["publishableKey"];
	        this.proxyPath = source["proxyPath"];
	        this.apiOrigin = source["apiOrigin"];
	        this.errors = source["errors"];
	    }
	}

}

export namespace service {
	
	export class Confirmation {
	    state: string;
	    reason?: string;
	    message?: string;
	    // Go type: time
	    confirmedAt: any;
	    me?: apiclient.Response;
	    meError?: string;
	    identity?: snapshot.Identity;
	    answers?: Record<string, snapshot.Answer>;
	
	    static createFrom(source: any = {}) {
	        return new Confirmation(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.state = source["state"];
	        this.reason = source["reason"];
	        this.message = source["message"];
	        this.confirmedAt = this.convertValues(source["confirmedAt"], null);
	        this.me = this.convertValues(source["me"], apiclient.Response);
	        this.meError = source["meError"];
	        this.identity = this.convertValues(source["identity"], snapshot.Identity);
	        this.answers = this.convertValues(source["answers"], snapshot.Answer, true);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace snapshot {
	
	export class Answer {
	    status: number;
	    contentType?: string;
	    body: string;
	    // Go type: time
	    at: any;
	
	    static createFrom(source: any = {}) {
	        return new Answer(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.status = source["status"];
	        this.contentType = source["contentType"];
	        this.body = source["body"];
	        this.at = this.convertValues(source["at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Identity {
	    userId: string;
	    name: string;
	    email: string;
	    imageUrl: string;
	    sessionId: string;
	    // Go type: time
	    sessionExpiresAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Identity(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.userId = source["userId"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.imageUrl = source["imageUrl"];
	        this.sessionId = source["sessionId"];
	        this.sessionExpiresAt = this.convertValues(source["sessionExpiresAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

