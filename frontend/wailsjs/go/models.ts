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

