"""业扩 business applications (HALL-6, HALL-10; the pre-acceptance flow of seeds 002/003).

A customer (on the portal, for an account he has bound) or a hall agent (for a customer of
the region) files a new connection (低压/高压新装) or a capacity increase (增容) with its
documents; the hall that handles the account's unit accepts it, asks for more (what is
missing, by a deadline in working days) or rejects it (with the reason). Each step is an
audited service, appended to the hall event store (and so to the feed), with its history.

Service API (stable; the portal calls these directly)::

    from safegrid.applications import archive, queries, services
    from safegrid.applications.applicants import PortalCustomer
    from safegrid.applications.documents import Upload
    from safegrid.applications.kinds import KINDS, DOCUMENT_LABELS, DocumentType
    from safegrid.applications.schemas import ApplicationSubmit, Supply

    me = PortalCustomer.of("portal:138****5678", bound_account_numbers)
    form = archive.prefill(platform.uow(actor, readonly=True), "3301000001", customer=me)
    #   -> ApplicationForm: applicant_name, masked site_address/contact_phone, voltage,
    #      current capacity, meters, contract capacity, kinds and their required documents
    out = services.do_submit(
        platform.uow(actor),
        ApplicationSubmit(account_no="3301000001", kind="lv_new", capacity_kva=Decimal("8")),
        [Upload(DocumentType.IDENTITY, "身份证.jpg", jpeg_bytes, "image/jpeg"),
         Upload(DocumentType.PROPERTY, "房产证.pdf", pdf_bytes, "application/pdf")],
        customer=me,
    )   # -> ApplicationOut (number YK202612xxxxx, status "submitted", handle_by, overdue)
    queries.list_applications(platform.uow(actor, readonly=True), customer=me)   # tracking
    queries.detail(platform.uow(actor, readonly=True), out.id, customer=me)  # docs + steps
    queries.document(platform.uow(actor, readonly=True), doc_id, customer=me)  # bytes
    services.do_supply(platform.uow(actor), out.id, Supply(note="…"), [Upload(...)],
                       customer=me)   # when status == "more_requested" (see .missing)

Labels for pages: ``kinds.KINDS[code].label`` and ``kinds.DOCUMENT_LABELS`` ("中文 /
English"), ``models.STATUS_LABELS[status]`` (中文, English); ``ApplicationOut.overdue``
says the deadline in force (``handle_by`` while submitted, ``supply_by`` while more is
requested) has passed; ``ApplicationDetail.steps`` is the history to show.

``actor`` is the portal's own actor (no staff permissions needed when ``customer`` is
given); ``site_address``/``contact_phone``/``applicant_name`` left ``None`` take the
archive's values. Refusals raise ``safegrid.platform.errors`` exceptions with "中文 /
English" messages and a ``field``: ``PermissionDeniedError`` (403) for an account not in
``customer.account_numbers``, ``ValidationProblem`` (422, field ``documents``) for a file
that is not the PDF/JPEG/PNG it claims or is too large, or required documents missing;
``ConflictError`` (409) for a step in the wrong state; ``NotFoundError`` (404) for
someone else's application. Refusals are audited (``application.refused``); nothing of a
refused request is stored.

An upload route declares ``max_body_size=settings.UPLOAD_BODY_BYTES`` and may turn its
``UploadFile`` fields (named after ``DocumentType`` values) into ``Upload`` objects with
``await routes.uploads(identity=f1, property=f2, ...)``.

Staff steps (``hall.serve``; the console and ``/api/applications`` call them):
``services.do_accept``, ``do_request_more``, ``do_reject``; without ``customer`` the
``do_submit``/``do_supply``/``prefill`` calls act for a customer of the caller's region.
"""
