export namespace main {
	
	export class Status {
	    version: string;
	    mode: string;
	    instance: string;
	    errors: string[];
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.mode = source["mode"];
	        this.instance = source["instance"];
	        this.errors = source["errors"];
	    }
	}

}

