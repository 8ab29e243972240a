//! The audit log as an administrator reads it: actions and object kinds in Vietnamese words,
//! not the codes the log stores (issue 15 item 6). The codes stay in the log, the API and the
//! search form; an action no label names yet reads as "Thao tác khác" with its module.

/// What an action code means, in words.
pub fn action_label(code: &str) -> String {
    if let Some(label) = exact(code) {
        return label.to_string();
    }
    // Codes written with a variable part: dossier and procedure actions.
    if let Some(rest) = code.strip_prefix("dossier.") {
        return format!("Hồ sơ: {}", dossier_action(rest));
    }
    if let Some(rest) = code.strip_prefix("procedure.") {
        return format!("Thủ tục: {}", procedure_action(rest));
    }
    let module = code.split('.').next().unwrap_or("");
    format!("Thao tác khác ({})", module_label(module))
}

fn exact(code: &str) -> Option<&'static str> {
    Some(match code {
        "calendar.adjustment.set" => "Lịch làm việc: đặt ngày nghỉ, ngày làm bù",
        "calendar.adjustment.remove" => "Lịch làm việc: bỏ ngày điều chỉnh",
        "catalog.create" => "Danh mục: tạo danh mục",
        "catalog.entry.create" => "Danh mục: thêm mục",
        "catalog.entry.update" => "Danh mục: sửa mục",
        "catalog.entry.end" => "Danh mục: thôi hiệu lực một mục",
        "catalog.import" => "Danh mục: nhập từ tệp",
        "catalog.seed" => "Danh mục: nạp dữ liệu ban đầu",
        "catalog.read" => "Danh mục: xem",
        "identity.account.register" => "Tài khoản: đăng ký",
        "identity.account.verify" => "Tài khoản: xác minh số điện thoại",
        "identity.account.address" => "Tài khoản: khai báo địa chỉ",
        "identity.account.disable" => "Tài khoản: khoá",
        "identity.account.enable" => "Tài khoản: mở khoá",
        "identity.account.expire" => "Tài khoản: hết hạn đăng ký chưa xác minh",
        "identity.business.link" => "Tài khoản: đại diện cho doanh nghiệp",
        "identity.official.create" => "Tài khoản: tạo tài khoản cán bộ",
        "identity.role.grant" => "Tài khoản: giao vai trò",
        "identity.role.revoke" => "Tài khoản: thu hồi vai trò",
        "identity.login.success" => "Đăng nhập thành công",
        "identity.login.password" => "Đăng nhập bằng mật khẩu",
        "identity.login.failure" => "Đăng nhập sai",
        "identity.login.lockout" => "Tạm khoá đăng nhập",
        "identity.logout" => "Đăng xuất",
        "identity.mfa.enrol" => "Bật xác thực hai lớp",
        "identity.mfa.reset" => "Đặt lại xác thực hai lớp",
        "identity.password.change" => "Đổi mật khẩu",
        "identity.password.reset" => "Đặt lại mật khẩu",
        "identity.password.reset_request" => "Yêu cầu đặt lại mật khẩu",
        "identity.vneid.claim" => "VNeID: nhận lại tài khoản",
        "identity.vneid.link" => "VNeID: liên kết tài khoản",
        "identity.vneid.register" => "VNeID: đăng ký tài khoản",
        "identity.consent.grant" => "Đồng ý cho ứng dụng truy cập",
        "identity.client.create" => "Ứng dụng kết nối: đăng ký",
        "identity.client.enable" => "Ứng dụng kết nối: bật",
        "identity.client.disable" => "Ứng dụng kết nối: tắt",
        "identity.client.authenticate" => "Ứng dụng kết nối: xác thực",
        "identity.client.lockout" => "Ứng dụng kết nối: tạm khoá",
        "identity.client.secret.rotate" => "Ứng dụng kết nối: đổi khoá bí mật",
        "identity.token.issue" => "Cấp mã truy cập",
        "identity.token.revoke" => "Thu hồi mã truy cập",
        "identity.code.replay" => "Mã cấp quyền bị dùng lại",
        "identity.refresh.replay" => "Mã làm mới bị dùng lại",
        "identity.key.create" => "Khoá ký: tạo",
        "identity.key.rotate" => "Khoá ký: thay",
        "identity.key.retire" => "Khoá ký: thôi dùng",
        "identity.kek.rewrap" => "Khoá bảo vệ bí mật: mã hoá lại",
        "notify.deliver" => "Gửi thông báo",
        "notification.send" => "Gửi thông báo",
        "notice.list" => "Xem thông báo",
        "platform.initialize" => "Khởi tạo hệ thống",
        "platform.admin_password.set" => "Đặt mật khẩu quản trị hệ thống",
        "security.admin_sign_in_failed" => "An ninh: đăng nhập quản trị sai",
        "security.admin_locked_out" => "An ninh: tạm khoá đăng nhập quản trị",
        "security.csrf_refused" => "An ninh: từ chối yêu cầu giả mạo từ trang khác",
        "security.redirect_uri_refused" => "An ninh: từ chối địa chỉ chuyển hướng lạ",
        "security.dossier_not_theirs" => "An ninh: hỏi hồ sơ của người khác",
        "security.upload_refused" => "An ninh: từ chối tệp tải lên",
        "workflow.definition.deploy" => "Quy trình: nạp định nghĩa",
        "workflow.instance.start" => "Quy trình: bắt đầu lượt chạy",
        "workflow.instance.cancel" => "Quy trình: huỷ lượt chạy",
        "workflow.instance.retry" => "Quy trình: chạy lại lượt dừng vì sự cố",
        "workflow.token.move" => "Quy trình: chuyển bước (quản trị)",
        "workflow.instance.migrate" => "Quy trình: chuyển lượt chạy sang phiên bản mới",
        "workflow.job.bpmn_error" => "Quy trình: việc tự động báo lỗi nghiệp vụ",
        "workflow.task.complete" => "Quy trình: hoàn thành công việc",
        "workflow.job.fail" => "Quy trình: việc tự động gặp lỗi",
        "workflow.job.retries" => "Quy trình: giao lại việc tự động",
        _ => return None,
    })
}

fn dossier_action(rest: &str) -> &'static str {
    match rest {
        "draft" => "lưu nháp",
        "submit" => "nộp",
        "receive" => "tiếp nhận",
        "request_supplement" => "yêu cầu bổ sung",
        "supply" => "nộp bổ sung",
        "start_processing" => "chuyển xử lý",
        "result" => "ban hành kết quả",
        "return" => "trả kết quả",
        "refuse" => "từ chối",
        "apologise" => "xin lỗi, hẹn lại",
        "withdraw" => "rút hồ sơ",
        "rate" => "đánh giá",
        "read" => "xem",
        "citizen_lookup" => "tra cứu công dân trong CSDL quốc gia về dân cư",
        "enterprise_lookup" => "tra cứu doanh nghiệp trong hệ thống đăng ký doanh nghiệp quốc gia",
        _ => "thao tác khác",
    }
}

fn procedure_action(rest: &str) -> &'static str {
    match rest {
        "create" => "tạo",
        "update" => "sửa",
        "import" => "nhập từ tệp",
        "publish" => "công bố",
        "retire" => "thôi áp dụng",
        "reinstate" => "áp dụng lại",
        "synonym_set" => "sửa từ đồng nghĩa, viết tắt",
        "synonym_delete" => "xoá từ đồng nghĩa, viết tắt",
        _ => "thao tác khác",
    }
}

fn module_label(module: &str) -> &'static str {
    match module {
        "identity" => "tài khoản",
        "dossier" => "hồ sơ",
        "procedure" => "thủ tục",
        "catalog" => "danh mục",
        "calendar" => "lịch làm việc",
        "workflow" => "quy trình",
        "security" => "an ninh",
        "notify" | "notification" | "notice" => "thông báo",
        "platform" => "hệ thống",
        _ => "khác",
    }
}

/// What kind of object a row is about, in words.
pub fn object_label(kind: &str) -> &'static str {
    match kind {
        "account" => "Tài khoản",
        "session" => "Phiên đăng nhập",
        "oauth_client" => "Ứng dụng kết nối",
        "access_token" => "Mã truy cập",
        "refresh_token" => "Mã làm mới",
        "signing_key" => "Khoá ký",
        "kek" => "Khoá bảo vệ bí mật",
        "dossier" => "Hồ sơ",
        "citizen" => "Công dân",
        "enterprise" => "Doanh nghiệp",
        "procedure" => "Thủ tục",
        "search_synonym" => "Từ đồng nghĩa",
        "catalog" => "Danh mục",
        "catalog_entry" => "Mục danh mục",
        "calendar_adjustment" => "Ngày điều chỉnh lịch",
        "process_definition" => "Định nghĩa quy trình",
        "process_instance" | "instance" => "Lượt chạy quy trình",
        "task" => "Công việc",
        "job" => "Việc tự động",
        "notification" | "in_app_notice" => "Thông báo",
        _ => "Đối tượng",
    }
}

/// Who did it, in words: the platform itself, an account (by its id), or a person's login.
pub fn actor_label(actor: &str) -> String {
    match actor {
        "system" => "Hệ thống".to_string(),
        "bootstrap" | "admin" => "Quản trị hệ thống (tài khoản khởi tạo)".to_string(),
        a if a.starts_with("account:") => "Người dùng tự đăng ký".to_string(),
        a => a.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_in_words_and_no_code_reaches_the_page() {
        for code in [
            "identity.login.success",
            "procedure.import",
            "dossier.receive",
            "workflow.job.retries",
            "catalog.seed",
            "something.new",
        ] {
            let label = action_label(code);
            assert!(!label.contains('.') && !label.contains('_'), "{code} -> {label}");
        }
        assert_eq!(action_label("procedure.import"), "Thủ tục: nhập từ tệp");
        assert_eq!(object_label("oauth_client"), "Ứng dụng kết nối");
        assert_eq!(actor_label("system"), "Hệ thống");
        assert!(!actor_label("account:92a19019b36040ab").contains("account"));
    }
}
