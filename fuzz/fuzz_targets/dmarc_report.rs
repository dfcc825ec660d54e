//! Received DMARC aggregate reports: any message (zip, gzip or XML inside
//! MIME) is parsed or refused without a panic and within the size cap.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = rampart::dmarc_reports::parse(data) {
        let _ = (report.org_name(), report.domain(), report.records().len());
    }
});
