export declare const DEFAULT_SQLITE_URL: string;
export declare function providerFor(url: string | undefined): "sqlite" | "postgresql";
