export const PHONE_PAGE_HTML = '<!doctype html><title>phone</title>';
